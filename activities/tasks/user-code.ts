/** Runs user code (steps, tools, evaluators) inside an activity and gives its errors a stable shape. */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Example } from '../../core/records';
import { InvalidEvaluationError } from './coerce';
import { NonRetryableError, type EvaluatorContext, type RunContext, type StepContext } from './define';
import { exampleView } from './example-view';
import type { ActivityServices } from '../services';
import { withStepScope, type StepScope } from './step-scope';
import { FAILURE_TYPES } from '../../core/failure-types';

const NON_RETRYABLE = new Set([NonRetryableError.name, InvalidEvaluationError.name, FAILURE_TYPES.invalidPlan]);

/**
 * Runs user code and turns what it throws into an ApplicationFailure with a stable type (the
 * error's name), the attempt number (and the warnings so far) in its details, and the original
 * error as cause.
 */
export async function userCode<T>(fn: () => T | Promise<T>, warnings: () => readonly string[] = () => []): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    const error = err instanceof Error ? err : new Error(String(err));
    const seen = warnings();
    throw ApplicationFailure.create({
      type: error.name,
      message: error.message,
      nonRetryable: NON_RETRYABLE.has(error.name),
      details: [{ attempt: Context.current().info.attempt, ...(seen.length > 0 ? { warnings: [...seen] } : {}) }],
      cause: error,
    });
  }
}

/** User code in a step scope (auto-heartbeat on by default); a failure carries the warnings so far in its details. */
export async function scopedUserCode<T>(
  services: ActivityServices,
  autoHeartbeat: boolean | undefined,
  fn: (scope: StepScope) => T | Promise<T>,
): Promise<{ value: T; warnings: string[] }> {
  return withStepScope({ autoHeartbeat: autoHeartbeat ?? true, sandboxes: services.sandboxes }, (scope) => userCode(() => fn(scope), () => scope.warnings));
}

/** What every piece of user code gets: the example's fields, the attempt, the scope's heartbeat and sandboxes, the worker's model. */
export function runContext(example: Example, scope: StepScope, services: ActivityServices): RunContext {
  const activity = Context.current();
  const view = exampleView(example);
  return {
    ...view,
    example: view,
    attempt: activity.info.attempt,
    resumeFrom: scope.resumeFrom,
    // A local activity cannot heartbeat: its liveness is the workflow task's.
    heartbeat: activity.info.isLocal ? () => undefined : (details?: unknown) => scope.heartbeat(details),
    signal: activity.cancellationSignal,
    sandbox: (opts) => scope.sandbox(opts),
    model: services.model,
  };
}

/** The context of a step (or a tool call): the run's context, the repetition and the earlier steps' outputs. */
export function stepContext(
  input: { example: Example; repetition: number; outputs: Record<string, unknown> },
  scope: StepScope,
  services: ActivityServices,
): StepContext {
  return { ...runContext(input.example, scope, services), repetition: input.repetition, outputs: input.outputs };
}

/** The context of an evaluator: the run's context and what it scores. */
export function evaluatorContext(
  input: { example: Example; output: unknown; error?: string; params: Record<string, unknown> },
  scope: StepScope,
  services: ActivityServices,
): EvaluatorContext {
  return {
    ...runContext(input.example, scope, services),
    output: input.output,
    params: input.params,
    datasetRow: input.example.row,
    ...(input.error ? { error: input.error } : {}),
  };
}
