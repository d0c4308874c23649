/**
 * The steps of a multi-step task, run in order from the `example` workflow: each its own activity
 * with its own timeout/heartbeat/retry, then the cleanup step, always (in a non-cancellable scope).
 */
import { CancellationScope, isCancellation, log, proxyActivities } from '@temporalio/workflow';
import type { TaskActivities } from '../activities/task-activities';
import { toActivityOptions } from './activity-options';
import { describeFailure, failedAttempts, failureWarnings, warningsOf } from './failures';
import type { Example, StepTiming, TaskPlan } from '../core/records';

// Options are given per call (executeWithOptions); these only satisfy the proxy's defaults.
const activities = proxyActivities<TaskActivities>({ startToCloseTimeout: '1m' });

export interface TaskOutcome {
  output: unknown;
  error?: string;
  steps: StepTiming[];
}

/** Runs the plan's steps; a step's failure ends the task (recorded), a cancellation propagates after cleanup. */
export async function runSteps(plan: TaskPlan, ex: Example, repetition: number): Promise<TaskOutcome> {
  const steps: StepTiming[] = [];
  const outputs: Record<string, unknown> = {};
  let output: unknown = null;
  let error: string | undefined;
  try {
    for (const step of plan.steps) {
      const t0 = Date.now();
      try {
        const result = await activities.runTaskStep.executeWithOptions(toActivityOptions(step, `step ${step.name}`), [
          { task: plan.task, step: step.name, example: ex, repetition, outputs },
        ]);
        outputs[step.name] = result.output;
        output = result.output;
        steps.push({ name: step.name, durationMs: Date.now() - t0, attempts: result.attempt, ...warningsOf(result) });
      } catch (err) {
        if (isCancellation(err)) throw err;
        const reason = describeFailure(err);
        steps.push({ name: step.name, durationMs: Date.now() - t0, attempts: failedAttempts(err), error: reason, ...failureWarnings(err) });
        error = `step '${step.name}' failed: ${reason}`;
        break;
      }
    }
  } finally {
    if (plan.cleanup) {
      const cleanup = plan.cleanup;
      // Non-cancellable: cleanup must run even when the experiment is cancelled.
      await CancellationScope.nonCancellable(async () => {
        const t0 = Date.now();
        try {
          const result = await activities.runCleanup.executeWithOptions(toActivityOptions(cleanup, 'cleanup'), [
            { task: plan.task, example: ex, repetition, outputs, error },
          ]);
          steps.push({ name: cleanup.name, durationMs: Date.now() - t0, ...warningsOf(result) });
        } catch (err) {
          const reason = describeFailure(err);
          steps.push({ name: cleanup.name, durationMs: Date.now() - t0, error: reason, ...failureWarnings(err) });
          log.warn('cleanup failed', { exampleId: ex.id, reason });
        }
      });
    }
  }
  return { output, ...(error ? { error } : {}), steps };
}
