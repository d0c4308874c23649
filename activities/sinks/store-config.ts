/**
 * Which results store a worker or the CLI uses: PostgreSQL when DXP_RESULTS_URL is set (what
 * workers on several machines share), otherwise the local files under the data folder.
 */
import { resolve } from 'node:path';
import { createLocalStore } from './local-store';
import { createPostgresStore, redactedUrl } from './postgres-store';
import type { ResultsStore } from './results-sink';

export type ResultsStoreConfig = { kind: 'local'; dataDir: string } | { kind: 'postgres'; url: string };

/** Reads DXP_RESULTS_URL; a value that is not a PostgreSQL URL is refused, naming the variable. */
export function resultsStoreConfig(env: NodeJS.ProcessEnv, dataDir: string): ResultsStoreConfig {
  const url = env.DXP_RESULTS_URL;
  if (url === undefined || url === '') return { kind: 'local', dataDir: resolve(dataDir) };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('DXP_RESULTS_URL: not a URL; expected postgres://user:password@host:port/database');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`DXP_RESULTS_URL: ${parsed.protocol}// is not supported; expected postgres://user:password@host:port/database (unset it for the local files)`);
  }
  if (!parsed.hostname || parsed.pathname.length <= 1) {
    throw new Error(`DXP_RESULTS_URL: ${redactedUrl(url)} needs a host and a database name (postgres://user:password@host:port/database)`);
  }
  return { kind: 'postgres', url };
}

/** For start-up lines and errors: never the password. */
export function describeStore(config: ResultsStoreConfig): string {
  return config.kind === 'local' ? config.dataDir : redactedUrl(config.url);
}

export interface OpenStoreOptions {
  /** Workers make or update the tables; readers do not. */
  migrate: boolean;
  onIdleError?: (err: Error) => void;
}

export async function openResultsStore(config: ResultsStoreConfig, opts: OpenStoreOptions): Promise<ResultsStore> {
  if (config.kind === 'local') return createLocalStore(config.dataDir);
  return createPostgresStore({ url: config.url, migrate: opts.migrate, ...(opts.onIdleError ? { onIdleError: opts.onIdleError } : {}) });
}
