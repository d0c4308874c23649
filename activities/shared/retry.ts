/**
 * Retrying a retryable {@link ApiError} inside one activity attempt, for every HTTP client here
 * (Arize, Phoenix): exponential backoff with jitter, never sooner than `Retry-After`. A
 * `Retry-After` beyond {@link RETRY_CAP_MS} is not slept through: the error goes at once to the
 * caller (a Temporal activity), which schedules its next attempt with `nextRetryDelay` instead of
 * holding a slot.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from './api-error';

/** First backoff step. */
export const RETRY_BASE_MS = 250;
/** Longest wait between two attempts; a longer `Retry-After` ends the retries. */
export const RETRY_CAP_MS = 10_000;

/** Statuses worth retrying: rate limiting and server-side failures (not 501, which never changes). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

/** Backoff before retry number `retry` (0-based): half of min(cap, base·2^retry) plus up to as much again at random. */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** retry);
  return ceiling / 2 + (random() * ceiling) / 2;
}

/**
 * Runs `attempt` and retries it up to `maxRetries` times while it throws a retryable ApiError;
 * the last error goes out through `onGiveUp` (e.g. to record how many attempts it took).
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  opts: { maxRetries: number; signal?: AbortSignal | undefined; onGiveUp?: (err: ApiError, attempts: number) => unknown },
): Promise<T> {
  for (let retry = 0; ; retry += 1) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const tooLong = err.retryAfterMs !== undefined && err.retryAfterMs > RETRY_CAP_MS;
      if (!err.retryable || retry >= opts.maxRetries || tooLong) throw opts.onGiveUp ? opts.onGiveUp(err, retry + 1) : err;
      await pause(Math.max(backoffMs(retry), err.retryAfterMs ?? 0), opts.signal);
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
