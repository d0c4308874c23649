/**
 * `example` workflow: one (example, repetition). Runs the task's steps in order, each its own
 * activity with its own timeout/heartbeat/retry; always runs the cleanup step; then runs every
 * evaluator as its own activity (a failing evaluator is recorded, never re-runs the task).
 * Reports the run record to the experiment by signal, so the experiment never waits on one
 * child in particular and can continue-as-new while children run.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { TaskActivities } from '../activities/task-activities';
import { toActivityOptions } from './activity-options';
import type { ExampleInput, ExampleResult } from './example-contract';
import { runFinishedSignal } from './experiment-contract';
import type { EvaluatorOutcome, RunRecord, StepTiming } from './records';
import { RUN_STATUS } from './search-attributes';

// Options are given per call (executeWithOptions); these only satisfy the proxy's defaults.
const activities = proxyActivities<TaskActivities>({ startToCloseTimeout: '1m' });

export async function example(input: ExampleInput): Promise<ExampleResult> {
  const { example: ex, repetition, plan } = input;
  // From when the server created this run, so waiting for a worker counts too.
  const startedAt = workflowInfo().startTime.getTime();
  const steps: StepTiming[] = [];
  const outputs: Record<string, unknown> = {};
  let output: unknown = null;
  let error: string | undefined = ex.malformed ? `malformed row: ${ex.malformed}` : undefined;

  if (!error) {
    try {
      for (const step of plan.steps) {
        const t0 = Date.now();
        try {
          const result = await activities.runTaskStep.executeWithOptions(toActivityOptions(step, `step ${step.name}`), [
            { task: plan.task, step: step.name, example: ex, repetition, outputs },
          ]);
          outputs[step.name] = result.output;
          output = result.output;
          steps.push({ name: step.name, durationMs: Date.now() - t0, attempts: result.attempt });
        } catch (err) {
          if (isCancellation(err)) throw err;
          const reason = describeFailure(err);
          steps.push({ name: step.name, durationMs: Date.now() - t0, attempts: failedAttempts(err), error: reason });
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
            await activities.runCleanup.executeWithOptions(toActivityOptions(cleanup, 'cleanup'), [
              { task: plan.task, example: ex, repetition, outputs, error },
            ]);
            steps.push({ name: cleanup.name, durationMs: Date.now() - t0 });
          } catch (err) {
            const reason = describeFailure(err);
            steps.push({ name: cleanup.name, durationMs: Date.now() - t0, error: reason });
            log.warn('cleanup failed', { exampleId: ex.id, reason });
          }
        });
      }
    }
  }

  const evaluations: Record<string, EvaluatorOutcome> = {};
  if (!ex.malformed) {
    // Arize semantics: every evaluator runs on every run, including runs whose task errored.
    await Promise.all(
      plan.evaluators.map(async (evaluator) => {
        try {
          evaluations[evaluator.column] = await activities.runEvaluator.executeWithOptions(
            toActivityOptions(evaluator, `evaluator ${evaluator.column}`),
            [{ evaluator, example: ex, output, error }],
          );
        } catch (err) {
          if (isCancellation(err)) throw err;
          evaluations[evaluator.column] = { error: describeFailure(err) };
        }
      }),
    );
  }

  const record: RunRecord = {
    exampleId: ex.id,
    repetition,
    output,
    ...(error ? { error } : {}),
    evaluations,
    steps,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
    workflowId: workflowInfo().workflowId,
  };
  upsertSearchAttributes([{ key: RUN_STATUS, value: error ? 'failed' : 'succeeded' }]);
  try {
    await getExternalWorkflowHandle(input.parentWorkflowId).signal(runFinishedSignal, record);
  } catch (err) {
    // The experiment is gone (finished or terminated): the record stays as this workflow's result.
    log.warn('could not report to the experiment', { parent: input.parentWorkflowId, error: String(err) });
  }
  return record;
}

/** The innermost message of an activity failure, with its type when it says more. */
function describeFailure(err: unknown): string {
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) return cause.type && cause.type !== 'Error' ? `${cause.type}: ${cause.message}` : cause.message;
    if (cause) return cause.message;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

function failedAttempts(err: unknown): number | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const detail = err.cause.details?.[0] as { attempt?: number } | undefined;
    return detail?.attempt;
  }
  return undefined;
}
