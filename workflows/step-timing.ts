/**
 * One activity call of an example, timed into its run record's steps: how long it took in the
 * workflow (schedule to result, across retries) and what its success or failure adds. Workflow
 * time (Date.now() in a workflow is the task's time), so replay records the same numbers.
 */
import { isCancellation } from '@temporalio/workflow';
import type { StepTiming } from '../core/records';
import { describeFailure } from './failures';

type StepFields = Omit<StepTiming, 'name' | 'durationMs'>;

export type TimedOutcome<T> = { ok: true; value: T } | { ok: false; reason: string; err: unknown };

export async function timedStep<T>(
  steps: StepTiming[],
  name: string,
  call: () => Promise<T>,
  fields: { ok: (value: T) => StepFields; failed: (err: unknown, reason: string) => StepFields },
  /** A cancellation ends the example (after its cleanup) unless the call is the cleanup itself. */
  { rethrowCancellation = true }: { rethrowCancellation?: boolean } = {},
): Promise<TimedOutcome<T>> {
  const t0 = Date.now();
  try {
    const value = await call();
    steps.push({ name, durationMs: Date.now() - t0, ...fields.ok(value) });
    return { ok: true, value };
  } catch (err) {
    if (rethrowCancellation && isCancellation(err)) throw err;
    const reason = describeFailure(err);
    steps.push({ name, durationMs: Date.now() - t0, ...fields.failed(err, reason) });
    return { ok: false, reason, err };
  }
}
