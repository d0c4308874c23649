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
  | 'SANDBOX_UNAVAILABLE'
  /**
   * Moving files in or out of the sandbox failed: it timed out (e.g. on a FIFO swapped in after
   * the check), a file is larger than maxFileBytes, or the sandbox's own tools refused (permissions).
   */
  | 'SANDBOX_TRANSFER_FAILED';

/** Thrown by providers and sandboxes; branch on `code`, which stays stable. */
export class SandboxError extends Error {
  readonly code: SandboxErrorCode;

  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SandboxError';
    this.code = code;
  }
}
