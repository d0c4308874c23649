/**
 * The authoring API of task modules: tasks and evaluators as plain functions, no Temporal.
 * `dxp worker --tasks <module>` loads a module whose default export (or `tasks`/`evaluators`
 * named exports) is built with `defineTasks`.
 */
import type { EvaluationResult } from '../../core/records';
import type { SandboxProvider } from '../sandbox/types';
import type { AgentTask } from './agent';
import type { ActivityDefaults, CleanupContext, EvaluatorContext, StepContext } from './context';

export type { ActivityDefaults, CleanupContext, EvaluatorContext, ExampleView, RunContext, StepContext } from './context';

export type StepFn = (ctx: StepContext) => unknown;

export interface HeartbeatChoice {
  /**
   * Default true: while the step runs, the worker heartbeats for it on a timer (about a third of the
   * heartbeat timeout, at most every second) with the last details given to `ctx.heartbeat()`. A
   * dead worker is then noticed within the heartbeat timeout, and a cancel reaches the step (and its
   * sandboxes) within seconds, with no heartbeat calls in your code. The cost: a step stuck in its
   * own code still looks alive, so only its start-to-close timeout ends it.
   * `false`: the step heartbeats itself; a step that stops calling `ctx.heartbeat()` is caught by
   * the heartbeat timeout as hung, and retried (choose it for steps that may stall without progress).
   */
  autoHeartbeat?: boolean;
}

export interface StepDefinition extends ActivityDefaults, HeartbeatChoice {
  name: string;
  run: StepFn;
}

export interface MultiStepTask {
  steps: StepDefinition[];
  /** Runs after the steps, always: on success, failure, timeout or cancel. */
  cleanup?: ActivityDefaults & HeartbeatChoice & { run: (ctx: CleanupContext) => unknown };
}

/** The simplest task: one async function of the dataset row (like Arize's `run()` task). */
export type SimpleTask = (row: Record<string, unknown>, ctx: StepContext) => unknown;

/** A function of the row, steps, or an agent (`defineAgent`, see agent.ts). */
export type TaskDefinition = SimpleTask | MultiStepTask | AgentTask;

/**
 * @deprecated Use {@link EvaluatorContext}: the same fields and more (`row`, `id`, `attempt`,
 * `heartbeat`, `sandbox`). Kept for evaluators and tests that build these arguments by hand;
 * removed in 0.3.
 */
export type EvaluatorArgs = Pick<EvaluatorContext, 'output' | 'input' | 'expected' | 'datasetRow' | 'metadata' | 'error' | 'params' | 'signal'>;

/**
 * The part of a run that the built-in evaluators and `llmJudge` read: an {@link EvaluatorContext}
 * is one, and so is the deprecated {@link EvaluatorArgs}, so they can be called with either.
 */
export type ScoredRun = Pick<EvaluatorContext, 'output' | 'input' | 'expected' | 'metadata' | 'error' | 'params' | 'signal'> &
  Partial<Pick<EvaluatorContext, 'model'>> &
  ({ row: Record<string, unknown> } | { datasetRow: Record<string, unknown> });

/** The dataset row of a run, by its name now or the deprecated one. */
export function rowOf(run: ScoredRun): Record<string, unknown> {
  return 'row' in run ? run.row : run.datasetRow;
}

/** A score, a label, a boolean, `[score, explanation]`, or a full result. */
export type EvaluatorReturn = number | string | boolean | [number, string] | EvaluationResult;
/**
 * An evaluator's function. `Ctx` is what it reads: the full context by default; a factory's
 * evaluator declares the few fields it needs, so it can also be called with just those.
 */
export type EvaluatorFn<Ctx = EvaluatorContext> = (ctx: Ctx) => EvaluatorReturn | Promise<EvaluatorReturn>;

export interface EvaluatorDefinition<Ctx = EvaluatorContext> extends Omit<ActivityDefaults, 'heartbeat'> {
  evaluate: EvaluatorFn<Ctx>;
  /** Runs on the model task queue, under its rate limit (`DXP_MODEL_RATE`); `llmJudge` sets it. */
  usesModel?: boolean;
  /**
   * Default true unless `usesModel`: runs as a local activity, in the worker that runs the example's
   * workflow, recorded as one history event instead of three and with no task-queue round trip;
   * retried and recorded per evaluator like any other. Set false for an evaluator that calls a
   * service of its own or can take long: it then runs as a normal activity on the experiment's queue.
   */
  local?: boolean;
}

export interface TaskModule {
  tasks?: Record<string, TaskDefinition>;
  evaluators?: Record<string, EvaluatorFn | EvaluatorDefinition>;
  /**
   * A sandbox provider of your own (a Docker engine, a remote sandbox service) for every
   * `ctx.sandbox()` of the worker that loads this module; it wins over DXP_SANDBOX. Made on first use.
   */
  sandboxProvider?: () => SandboxProvider | Promise<SandboxProvider>;
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
