/**
 * Heartbeats on a timer while an activity waits on something long (a model call, an upload, user
 * code), so a dead worker is noticed within the heartbeat timeout and a cancellation reaches the
 * activity. The worker throttles what reaches the server; the timer is not unref'd (the activity
 * is running) and stops when the caller stops it.
 */
import { Context } from '@temporalio/activity';

// A third of the heartbeat timeout, at most 1 s apart: the worker throttles what reaches the server,
// and frequent heartbeats are also how a cancellation reaches the activity.
const MAX_TICK_MS = 1_000;
const MIN_TICK_MS = 100;

/** How often: milliseconds, or from the activity's heartbeat timeout ({@link heartbeatTickMs}). */
export type HeartbeatEvery = number | { heartbeatTimeoutMs: number | undefined };

/** A third of the heartbeat timeout, between 100 ms and 1 s; 1 s when the activity has no heartbeat timeout. */
export function heartbeatTickMs(heartbeatTimeoutMs: number | undefined): number {
  const third = heartbeatTimeoutMs ? heartbeatTimeoutMs / 3 : MAX_TICK_MS;
  return Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, third));
}

/**
 * Heartbeats `every` ms until `stop()`: with `details()` as read at each tick, or none when no
 * `details` is given (the server then keeps the last details it has).
 */
export function heartbeatEvery(every: HeartbeatEvery, details?: () => unknown, ctx: Context = Context.current()): { stop(): void } {
  const ms = typeof every === 'number' ? every : heartbeatTickMs(every.heartbeatTimeoutMs);
  const timer = setInterval(details ? () => ctx.heartbeat(details()) : () => ctx.heartbeat(), ms);
  return { stop: () => clearInterval(timer) };
}

/** Runs `fn` while heartbeating (every second unless told), and stops when it settles. */
export async function whileHeartbeating<T>(fn: () => Promise<T>, every: HeartbeatEvery = 1_000, details?: () => unknown): Promise<T> {
  const beat = heartbeatEvery(every, details);
  try {
    return await fn();
  } finally {
    beat.stop();
  }
}
