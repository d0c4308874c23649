/**
 * The steps of a multi-step task, run in order from the `example` workflow: each its own activity
 * with its own timeout/heartbeat/retry, then the cleanup step, always (in a non-cancellable scope).
 */
import { CancellationScope, log, proxyActivities } from '@temporalio/workflow';
import type { TaskActivities } from '../activities/task-activities';
import { toActivityOptions } from './activity-options';
import { failedAttempts, failureWarnings, warningsOf } from './failures';
import { timedStep } from './step-timing';
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
      const outcome = await timedStep(
        steps,
        step.name,
        () =>
          activities.runTaskStep.executeWithOptions(toActivityOptions(step, `step ${step.name}`), [
            { task: plan.task, step: step.name, example: ex, repetition, outputs },
          ]),
        {
          ok: (result) => ({ attempts: result.attempt, ...warningsOf(result) }),
          failed: (err, reason) => ({ attempts: failedAttempts(err), error: reason, ...failureWarnings(err) }),
        },
      );
      if (!outcome.ok) {
        error = `step '${step.name}' failed: ${outcome.reason}`;
        break;
      }
      outputs[step.name] = outcome.value.output;
      output = outcome.value.output;
    }
  } finally {
    if (plan.cleanup) {
      const cleanup = plan.cleanup;
      // Non-cancellable: cleanup must run even when the experiment is cancelled.
      await CancellationScope.nonCancellable(async () => {
        const outcome = await timedStep(
          steps,
          cleanup.name,
          () => activities.runCleanup.executeWithOptions(toActivityOptions(cleanup, 'cleanup'), [{ task: plan.task, example: ex, repetition, outputs, error }]),
          { ok: (result) => warningsOf(result), failed: (err, reason) => ({ error: reason, ...failureWarnings(err) }) },
          { rethrowCancellation: false },
        );
        if (!outcome.ok) log.warn('cleanup failed', { exampleId: ex.id, reason: outcome.reason });
      });
    }
  }
  return { output, ...(error ? { error } : {}), steps };
}
