/**
 * A Sandbox whose runs are also stopped by a fixed signal (a step's cancellation), whatever signal
 * the caller passes: user code that forgets `signal` still has its runs killed on cancel or timeout.
 */
import type { RunOptions, RunResult, Sandbox } from './types';

export function bindSignal(sandbox: Sandbox, bound: AbortSignal): Sandbox {
  return {
    id: sandbox.id,
    workDir: sandbox.workDir,
    isolation: sandbox.isolation,
    warnings: sandbox.warnings,
    limits: sandbox.limits,
    run(command: string[], opts: RunOptions = {}): Promise<RunResult> {
      const signal = opts.signal && opts.signal !== bound ? AbortSignal.any([opts.signal, bound]) : bound;
      return sandbox.run(command, { ...opts, signal });
    },
    writeFile: (path, content) => sandbox.writeFile(path, content),
    readFile: ((path: string, encoding?: BufferEncoding) =>
      encoding ? sandbox.readFile(path, encoding) : sandbox.readFile(path)) as Sandbox['readFile'],
    teardown: () => sandbox.teardown(),
  };
}
