/** Exit codes of `dxp` and the one error type that carries one; loads nothing else, so `dxp --help` stays fast. */

export const EXIT = {
  ok: 0,
  /** The experiment (or the work the command waited for) failed. */
  failed: 1,
  /** Bad input or configuration: nothing was started. */
  badInput: 2,
  /** A server could not be reached (Temporal, Arize). */
  unreachable: 3,
  /** The experiment is still running (`dxp result` without `--wait`). */
  running: 4,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
