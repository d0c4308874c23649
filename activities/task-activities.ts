/**
 * Activities that run user code: one task step, the cleanup step, one evaluator.
 * Each is its own activity so each gets its own timeout, heartbeat and retry policy.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { EvaluationResult, EvaluatorPlan, Example } from '../workflows/records';
import { coerceEvaluation, InvalidEvaluationError } from './tasks/coerce';
import { NonRetryableError, type CleanupContext, type StepContext } from './tasks/define';
import { InvalidPlanError, type TaskRegistry } from './tasks/registry';
import { withStepScope, type StepScope } from './tasks/step-scope';

export interface StepInput {
  task: string;
  step: string;
  example: Example;
  repetition: number;
  outputs: Record<string, unknown>;
}

export interface CleanupInput extends Omit<StepInput, 'step'> {
  error?: string;
}

export interface EvaluatorInput {
  evaluator: EvaluatorPlan;
  example: Example;
  output: unknown;
  error?: string;
}

export function createTaskActivities(registry: TaskRegistry) {
  return {
    async runTaskStep(input: StepInput): Promise<StepResult> {
      const step = registry.task(input.task).steps.find((s) => s.name === input.step);
      if (!step) throw ApplicationFailure.nonRetryable(`task '${input.task}' has no step '${input.step}'`, 'InvalidPlan');
      const { value, warnings } = await scopedUserCode(step.autoHeartbeat, (scope) => step.run(stepContext(input, scope)));
      return { output: value === undefined ? null : value, attempt: Context.current().info.attempt, ...withWarnings(warnings) };
    },

    async runCleanup(input: CleanupInput): Promise<{ warnings?: string[] } | undefined> {
      const cleanup = registry.task(input.task).cleanup;
      if (!cleanup) return undefined;
      const { warnings } = await scopedUserCode(cleanup.autoHeartbeat, (scope) =>
        cleanup.run({ ...stepContext(input, scope), ...(input.error ? { error: input.error } : {}) } satisfies CleanupContext),
      );
      return withWarnings(warnings);
    },

    async runEvaluator(input: EvaluatorInput): Promise<EvaluationResult> {
      const { example, evaluator } = input;
      const def = registry.evaluator(evaluator.use);
      const value = await userCode(() =>
        def.evaluate({
          output: input.output,
          input: example.input,
          expected: example.expected,
          datasetRow: example.row,
          metadata: example.metadata,
          params: evaluator.params ?? {},
          signal: Context.current().cancellationSignal,
          ...(input.error ? { error: input.error } : {}),
        }),
      );
      return userCode(() => coerceEvaluation(value));
    },
  };
}

export type TaskActivities = ReturnType<typeof createTaskActivities>;

export interface StepResult {
  output: unknown;
  attempt: number;
  /** Sandbox warnings (weak isolation) and refused heartbeats, for the run record. */
  warnings?: string[];
}

function withWarnings(warnings: string[]): { warnings?: string[] } {
  return warnings.length > 0 ? { warnings } : {};
}

function stepContext(input: Omit<StepInput, 'step'>, scope: StepScope): StepContext {
  const activity = Context.current();
  const { example } = input;
  const view = { id: example.id, input: example.input, expected: example.expected, metadata: example.metadata, row: example.row };
  return {
    ...view,
    example: view,
    repetition: input.repetition,
    outputs: input.outputs,
    attempt: activity.info.attempt,
    resumeFrom: scope.resumeFrom,
    heartbeat: (details?: unknown) => scope.heartbeat(details),
    signal: activity.cancellationSignal,
    sandbox: (opts) => scope.sandbox(opts),
  };
}

/** User code in a step scope (auto-heartbeat on by default); a failure carries the warnings so far in its details. */
async function scopedUserCode<T>(
  autoHeartbeat: boolean | undefined,
  fn: (scope: StepScope) => T | Promise<T>,
): Promise<{ value: T; warnings: string[] }> {
  return withStepScope({ autoHeartbeat: autoHeartbeat ?? true }, (scope) =>
    userCode(() => fn(scope), () => scope.warnings),
  );
}

const NON_RETRYABLE = new Set([NonRetryableError.name, InvalidEvaluationError.name, InvalidPlanError.name]);

/**
 * Runs user code and turns what it throws into an ApplicationFailure with a stable type (the
 * error's name), the attempt number in its details, and the original error as cause.
 */
async function userCode<T>(fn: () => T | Promise<T>, warnings: () => readonly string[] = () => []): Promise<T> {
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
