/**
 * The results store the CLI reads (`dxp result --runs`, `dxp upload`, `dxp export`): the same
 * setting as the workers', DXP_RESULTS_URL, else the local files under --data-dir / DXP_DATA_DIR.
 * The CLI never migrates: a database no worker has used yet is an error that says so.
 */
import { ResultsStoreError } from '../activities/sinks/postgres-store';
import type { ResultsStore } from '../activities/sinks/results-sink';
import { describeStore, openResultsStore, resultsStoreConfig, type ResultsStoreConfig } from '../activities/sinks/store-config';
import { CliError, EXIT } from './exit-codes';

export function configuredStore(dataDir: string | undefined): ResultsStoreConfig {
  try {
    return resultsStoreConfig(process.env, dataDir ?? process.env.DXP_DATA_DIR ?? '.dxp');
  } catch (err) {
    throw new CliError(`configuration: ${(err as Error).message}`, EXIT.badInput);
  }
}

/** Runs `fn` with the store open and always closes it. */
export async function withStore<T>(config: ResultsStoreConfig, fn: (store: ResultsStore, where: string) => Promise<T>): Promise<T> {
  let store: ResultsStore;
  try {
    store = await openResultsStore(config, { migrate: false });
  } catch (err) {
    if (err instanceof ResultsStoreError) throw new CliError(err.message, err.unreachable ? EXIT.unreachable : EXIT.badInput);
    throw err;
  }
  try {
    return await fn(store, describeStore(config));
  } finally {
    await store.close();
  }
}

/** The summary's location names a PostgreSQL store (no credentials) rather than a folder. */
export function isDatabaseLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}
