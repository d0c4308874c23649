/**
 * The authoring API of task modules: tasks and evaluators as plain functions, no Temporal.
 * `dxp worker --tasks <module>` loads a module whose default export (or `tasks`/`evaluators`
 * named exports) is built with `defineTasks`.
 */
import type { Duration, RetrySpec } from '../../workflows/spec';
import type { EvaluationResult } from '../../workflows/records';

export interface ExampleView {
  id: string;
  input: unknown;
  expected: unknown;
  metadata: Record<string, unknown>;
  /** The whole dataset row. */
  row: Record<string, unknown>;
}

export interface StepContext extends ExampleView {
  example: ExampleView;
  repetition: number;
  /** Outputs of earlier steps, by step name. */
  outputs: Record<string, unknown>;
  /** 1 on the first attempt of this step. */
  attempt: number;
  /** Details of the last heartbeat of a previous attempt: resume from here. */
  resumeFrom: unknown;
  /** Reports liveness (and progress details) to Temporal; required when the step has a heartbeat timeout. */
  heartbeat(details?: unknown): void;
  /** Aborted when the step is cancelled or timed out: pass it to fetch, child processes, sleeps. */
  signal: AbortSignal;
}

export interface CleanupContext extends StepContext {
  /** Why the task failed, when it did. */
  error?: string;
}

export type StepFn = (ctx: StepContext) => unknown;

export interface ActivityDefaults {
  timeout?: Duration;
  /** A heartbeat timeout, or `true` for the spec's `heartbeat` (default 30s). The step must heartbeat. */
  heartbeat?: Duration | true;
  retry?: RetrySpec;
}

export interface StepDefinition extends ActivityDefaults {
  name: string;
  run: StepFn;
}

export interface MultiStepTask {
  steps: StepDefinition[];
  /** Runs after the steps, always: on success, failure, timeout or cancel. */
  cleanup?: ActivityDefaults & { run: (ctx: CleanupContext) => unknown };
}

/** The simplest task: one async function of the dataset row (like Arize's `run()` task). */
export type SimpleTask = (row: Record<string, unknown>, ctx: StepContext) => unknown;

export type TaskDefinition = SimpleTask | MultiStepTask;

export interface EvaluatorArgs {
  /** The task's output. */
  output: unknown;
  input: unknown;
  /** The dataset's expected output. */
  expected: unknown;
  datasetRow: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** The task's error, when it failed (evaluators run on failed runs too, as in Arize). */
  error?: string;
  /** Parameters from the spec (`evaluators: [{ use, with }]`). */
  params: Record<string, unknown>;
  signal: AbortSignal;
}

/** A score, a label, a boolean, `[score, explanation]`, or a full result. */
export type EvaluatorReturn = number | string | boolean | [number, string] | EvaluationResult;
export type EvaluatorFn = (args: EvaluatorArgs) => EvaluatorReturn | Promise<EvaluatorReturn>;

export interface EvaluatorDefinition extends Omit<ActivityDefaults, 'heartbeat'> {
  evaluate: EvaluatorFn;
}

export interface TaskModule {
  tasks?: Record<string, TaskDefinition>;
  evaluators?: Record<string, EvaluatorFn | EvaluatorDefinition>;
}

/** Identity helper that gives a task module its types. */
export function defineTasks<M extends TaskModule>(module: M): M {
  return module;
}

/** Throw from a step or evaluator to fail it at once, without retries. */
export class NonRetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}
