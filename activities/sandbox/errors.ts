/** Errors of the sandbox API. Results of commands are never errors: they are `RunResult`s. */

export type SandboxErrorCode =
  /** A path given to writeFile/readFile/run (`files`, `cwd`) leads out of the work dir. */
  | 'SANDBOX_PATH_ESCAPE'
  /** A file asked for by readFile does not exist or is not a regular file. */
  | 'SANDBOX_FILE_NOT_FOUND'
  /** run() or writeFile() after teardown(). */
  | 'SANDBOX_TORN_DOWN'
  /** The sandbox could not be started (missing binary, spawn failure). */
  | 'SANDBOX_SPAWN_FAILED'
  /** Limits or options that make no sense (negative limits, bad env names). */
  | 'SANDBOX_INVALID_OPTIONS'
  /** The provider asked for cannot work on this machine. */
  | 'SANDBOX_UNAVAILABLE';

/** Thrown by providers and sandboxes; branch on `code`, which stays stable. */
export class SandboxError extends Error {
  readonly code: SandboxErrorCode;

  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SandboxError';
    this.code = code;
  }
}
