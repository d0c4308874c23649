/**
 * How a `dxp` command's action runs: its module is loaded only when the command runs (`load`), so
 * `dxp --help` does not pay for the Temporal client, the worker, webpack or the dataset readers;
 * a command that talks to Temporal gets a connected client (`connected`); and the exit code a
 * command returns is set without cutting pending output short (`withExitCode`). Module paths are
 * relative to this folder (client/).
 */

/** Commands return their exit code; this sets it without cutting pending output short. */
export function withExitCode<A extends unknown[]>(fn: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    process.exitCode = await fn(...args);
  };
}

/**
 * A command's module, loaded when the command runs. `require`, not `import()`: the CommonJS build
 * compiles either to it, but tsx (a checkout) would hand `import()` to Node's ESM loader.
 */
export function load<T>(path: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path) as T;
}

/** Runs `fn` with a connected Temporal client (loaded on demand). */
export async function connected<T>(fn: (client: import('@temporalio/client').Client, config: import('../connection/config').ConnectionConfig) => Promise<T>): Promise<T> {
  const { withClient } = load<typeof import('./cli-context')>('./cli-context');
  return withClient(fn);
}
