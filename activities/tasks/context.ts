/**
 * What user code runs with: one context type for task steps, tool calls and evaluators (the
 * example, the attempt, heartbeats, the cancel signal, sandboxes), each adding what it alone has,
 * and the timeout and retry options every step, tool and evaluator may set. Shared by the
 * authoring API (define.ts), the agent API (agent.ts) and the experiment API (define-experiment.ts).
 */
import type { Duration, RetrySpec } from '../../core/spec';
import type { ModelClient } from '../model/client';
import type { ProvisionOptions, Sandbox } from '../sandbox/types';

export interface ExampleView {
  id: string;
  input: unknown;
  expected: unknown;
  metadata: Record<string, unknown>;
  /** The whole dataset row. */
  row: Record<string, unknown>;
}

/** The context every piece of user code gets: the example's fields, and the activity's helpers. */
export interface RunContext extends ExampleView {
  /** @deprecated The example's fields are on the context itself (`ctx.input`, `ctx.row`, ...); removed in 0.3. */
  example: ExampleView;
  /** 1 on the first attempt of this activity. */
  attempt: number;
  /** Details of the last heartbeat of a previous attempt (timed out, crashed or failed): resume from here. */
  resumeFrom: unknown;
  /**
   * Records progress details for `resumeFrom` (JSON, at most 4 KiB: a cursor, not the data; bigger
   * details are refused with a warning) and reports liveness. No argument keeps the last details.
   * A no-op in a local activity (an evaluator with `local`, the default), which cannot heartbeat.
   */
  heartbeat(details?: unknown): void;
  /** Aborted when the activity is cancelled or timed out: pass it to fetch, child processes, sleeps. */
  signal: AbortSignal;
  /**
   * A sandbox for untrusted code, from the worker's provider (`DXP_SANDBOX`). Torn down when the
   * activity ends, however it ends; its runs are killed by `signal` even if you pass none. Its
   * warnings (weak isolation) are logged, and recorded in the run's step `warnings` for a step.
   */
  sandbox(opts?: ProvisionOptions): Promise<Sandbox>;
  /**
   * The worker's model client (OPENAI_BASE_URL, OPENAI_API_KEY, DXP_MODEL), made on first use:
   * `ctx.model().chat({ messages }, { signal: ctx.signal })`.
   */
  model(): ModelClient;
}

/** A task step's context. */
export interface StepContext extends RunContext {
  repetition: number;
  /** Outputs of earlier steps, by step name. */
  outputs: Record<string, unknown>;
}

export interface CleanupContext extends StepContext {
  /** Why the task failed, when it did. */
  error?: string;
}

/** An evaluator's context: the run to score, and the same helpers as a step (a sandbox to run the output in). */
export interface EvaluatorContext extends RunContext {
  /** The task's output. */
  output: unknown;
  /** The task's error, when it failed (evaluators run on failed runs too, as in Arize). */
  error?: string;
  /** Options from the spec (`evaluators: [{ use, with }]`), over the factory's (`exactMatch({ trim: true })`). */
  params: Record<string, unknown>;
  /** @deprecated The same object as `row`; removed in 0.3. */
  datasetRow: Record<string, unknown>;
}

export interface ActivityDefaults {
  timeout?: Duration;
  /** A heartbeat timeout, or `true` for the spec's `heartbeat` (default 30s). See `autoHeartbeat`. */
  heartbeat?: Duration | true;
  retry?: RetrySpec;
}
