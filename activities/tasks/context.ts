/**
 * What user code runs with: the example as a task sees it, a step's context, and the timeout and
 * retry options every step, tool and evaluator may set. Shared by the authoring API (define.ts)
 * and the agent API (agent.ts).
 */
import type { Duration, RetrySpec } from '../../core/spec';
import type { ProvisionOptions, Sandbox } from '../sandbox/types';

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
  /** Details of the last heartbeat of a previous attempt (timed out, crashed or failed): resume from here. */
  resumeFrom: unknown;
  /**
   * Records progress details for `resumeFrom` (JSON, at most 4 KiB: a cursor, not the data; bigger
   * details are refused with a warning) and reports liveness. No argument keeps the last details.
   */
  heartbeat(details?: unknown): void;
  /** Aborted when the step is cancelled or timed out: pass it to fetch, child processes, sleeps. */
  signal: AbortSignal;
  /**
   * A sandbox for untrusted code, from the worker's provider (`DXP_SANDBOX`). Torn down when the
   * step ends, however it ends; its runs are killed by `signal` even if you pass none. Its warnings
   * (weak isolation) are logged and recorded in the run's step `warnings`.
   */
  sandbox(opts?: ProvisionOptions): Promise<Sandbox>;
}

export interface CleanupContext extends StepContext {
  /** Why the task failed, when it did. */
  error?: string;
}

export interface ActivityDefaults {
  timeout?: Duration;
  /** A heartbeat timeout, or `true` for the spec's `heartbeat` (default 30s). See `autoHeartbeat`. */
  heartbeat?: Duration | true;
  retry?: RetrySpec;
}
