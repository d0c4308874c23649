/** One abort signal for an HTTP call: the caller's cancellation or our own timeout, whichever comes first. */

export interface Deadline {
  signal: AbortSignal;
  /** True when the timeout (not the caller) aborted the call: the error is then a retryable timeout. */
  timedOut(): boolean;
  /** Stops the timer and the caller listener; call in `finally`. */
  dispose(): void;
}

export function deadline(timeoutMs: number, callerSignal?: AbortSignal): Deadline {
  callerSignal?.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = () => controller.abort(callerSignal?.reason);
  callerSignal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose() {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onAbort);
    },
  };
}
