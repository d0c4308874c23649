/**
 * Retrying retryable {@link ArizeApiError}s inside one activity attempt: exponential backoff with
 * jitter, never sooner than `Retry-After`. Arize has no idempotency key: a create is retried (a
 * lost create comes back as 409, which the uploader resolves by name), an append is not (a lost
 * append would be stored twice; the uploader lists the runs already stored, then appends the rest).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ArizeApiError } from './errors';

/** First backoff step. */
export const RETRY_BASE_MS = 250;
/** Longest wait between two attempts; a longer `Retry-After` ends the retries (see {@link withRetries}). */
export const RETRY_CAP_MS = 10_000;

/** Backoff before retry number `retry` (0-based): half of min(cap, base·2^retry) plus up to as much again at random. */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** retry);
  return ceiling / 2 + (random() * ceiling) / 2;
}

/**
 * Runs `attempt` and retries it up to `maxRetries` times while it throws a retryable ArizeApiError.
 * Throws the last error with `attempts` set. A `Retry-After` beyond {@link RETRY_CAP_MS} is not
 * slept through here: the error is thrown at once so the caller (a Temporal activity) can
 * schedule its next attempt with `nextRetryDelay = retryAfterMs` instead of holding a slot.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  { maxRetries, signal }: { maxRetries: number; signal?: AbortSignal | undefined },
): Promise<T> {
  for (let retry = 0; ; retry += 1) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ArizeApiError)) throw err;
      const attempts = retry + 1;
      const tooLong = err.retryAfterMs !== undefined && err.retryAfterMs > RETRY_CAP_MS;
      if (!err.retryable || retry >= maxRetries || tooLong) throw attempts > 1 ? err.withAttempts(attempts) : err;
      await pause(Math.max(backoffMs(retry), err.retryAfterMs ?? 0), signal);
    }
  }
}

async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    signal?.throwIfAborted();
    throw err;
  }
}
