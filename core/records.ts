/**
 * Plain data that crosses the workflow/activity boundary and lands in results.
 * Types only: safe to import from workflows, activities, client and tests alike.
 */
import type { RunTraceRef } from './run-trace';
import type { BindingSpec, Duration, LocalDatasetSpec, RetrySpec } from './spec';

/** One dataset row, bound the way Arize's SDK binds it (input, expected output, metadata, whole row). */
export interface Example {
  /** Stable example id: the id column, or `row-<n>` (1-based data row). */
  id: string;
  /** 0-based position in the dataset file. */
  index: number;
  input: unknown;
  expected: unknown;
  metadata: Record<string, unknown>;
  row: Record<string, unknown>;
  /** Set when the row could not be parsed: the example fails alone, with this reason. */
  malformed?: string;
}

/** A dataset source fixed at the start of an experiment (an Arize dataset pinned to one version). */
export type ResolvedDataset =
  | { kind: 'local'; spec: LocalDatasetSpec }
  | { kind: 'arize'; datasetId: string; datasetName: string; spaceId: string; versionId: string; binding: BindingSpec }
  | { kind: 'phoenix'; datasetId: string; datasetName: string; versionId: string; binding: BindingSpec };

/** Activity options in plain data (resolved from task defaults and spec overrides). */
export interface ActivityPlan {
  timeout: Duration;
  heartbeat?: Duration;
  retry: RetrySpec;
  /** Where the activity runs; default the workflow's own task queue (model calls: the model queue). */
  taskQueue?: string;
}

export interface StepPlan extends ActivityPlan {
  name: string;
}

export interface EvaluatorPlan extends ActivityPlan {
  /** Column name in the results (`eval.<column>.score` in Arize). */
  column: string;
  /** Registered evaluator that computes it. */
  use: string;
  params?: Record<string, unknown>;
  /**
   * Run as a local activity. A plan is data in the workflow's input, so an experiment planned
   * before this existed keeps scheduling its evaluators as activities, and its histories replay.
   */
  local?: true;
}

/** How an agent task runs: its limits and the options of its model turns and tool calls. */
export interface AgentPlan {
  maxTurns: number;
  /** Total tokens of one example's model calls. */
  tokenBudget?: number;
  /** Model turns (on the model task queue). */
  turn: ActivityPlan;
  /** Tool calls, by tool name. */
  tools: Record<string, ActivityPlan>;
  /** The task has an `output` hook (run as its own activity). */
  hasOutput: boolean;
}

/** What the worker's task registry says a task looks like, fixed once per experiment. */
export interface TaskPlan {
  task: string;
  /** Empty for an agent task. */
  steps: StepPlan[];
  cleanup?: StepPlan;
  /** Set for an agent task: the example workflow runs the agent loop instead of steps. */
  agent?: AgentPlan;
  evaluators: EvaluatorPlan[];
}

/** Why an agent loop ended. */
export type AgentStopReason = 'answer' | 'max-turns' | 'token-budget' | 'error';

/** What an agent run used; on the run record, so cost is visible per run and in total. */
export interface AgentStats {
  stopReason: AgentStopReason;
  turns: number;
  toolCalls: number;
  /** Tool calls that ended in an error the model was shown. */
  toolErrors: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Set when the worker has prices for the model (DXP_MODEL_PRICES). */
  costUsd?: number;
  /** Models that answered. */
  models: string[];
}

/** The Arize `EvaluationResult` shape: score or a non-empty label is required. */
export interface EvaluationResult {
  score?: number;
  label?: string;
  explanation?: string;
  metadata?: Record<string, unknown>;
}

export interface EvaluatorOutcome extends EvaluationResult {
  /** The evaluator failed: recorded on the run, never fatal to it. */
  error?: string;
}

export interface StepTiming {
  name: string;
  /** Wall time in the workflow, from schedule to result, across retries. */
  durationMs: number;
  /** Attempts used (known when the step succeeded or failed with details). */
  attempts?: number;
  error?: string;
  /** What the step's sandboxes did not isolate (weak isolation) and refused heartbeats: read them. */
  warnings?: string[];
}

/** One (example, repetition) result: what the results sink stores. */
export interface RunRecord {
  exampleId: string;
  repetition: number;
  output: unknown;
  error?: string;
  evaluations: Record<string, EvaluatorOutcome>;
  steps: StepTiming[];
  /** Agent tasks: turns, tool calls, tokens and cost. */
  agent?: AgentStats;
  startedAt: string;
  durationMs: number;
  /** Temporal workflow id of the example workflow, for finding it in the UI. */
  workflowId: string;
  /** The run's own trace, when the worker traced it (tracing on and the run sampled). */
  trace?: RunTraceRef;
  /**
   * Set on the failed run of a row whose example id repeats an earlier row's (1-based row): it
   * never ran, is stored beside the earlier run, and is not uploaded to Arize (same example).
   */
  duplicateRow?: number;
}

/** The record of a run that never ran its task (its workflow never started, or closed with no record): failed, with why. */
export function unrunRecord(run: { exampleId: string; repetition: number; workflowId: string }, error: string): RunRecord {
  return { ...run, output: null, error, evaluations: {}, steps: [], startedAt: new Date().toISOString(), durationMs: 0 };
}

export interface AgentTotals {
  turns: number;
  toolCalls: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Sum over the runs whose model had a price. */
  costUsd?: number;
}

/** Key that makes a run unique within an experiment; sinks dedupe on it. */
export function runKey(run: Pick<RunRecord, 'exampleId' | 'repetition' | 'duplicateRow'>): string {
  return `${run.exampleId}#${run.repetition}${run.duplicateRow === undefined ? '' : `#row${run.duplicateRow}`}`;
}

export interface EvaluatorSummary {
  /** Mean score over runs that produced a score. */
  meanScore: number | null;
  scored: number;
  labels: Record<string, number>;
  errors: number;
}

export interface ExperimentSummary {
  experimentId: string;
  name: string;
  status: 'completed' | 'failed' | 'cancelled';
  runs: number;
  succeeded: number;
  failed: number;
  evaluators: Record<string, EvaluatorSummary>;
  /** First failures with their reasons (capped, see `failuresTruncated`). */
  failures: { exampleId: string; repetition: number; error: string }[];
  failuresTruncated: boolean;
  /** Agent tasks: totals over the runs (model turns, tool calls, tokens, cost). */
  agent?: AgentTotals;
  /** Where the runs are stored locally. */
  location: string;
  /** The Arize AX experiment the runs were uploaded to, when the dataset is an Arize dataset. */
  arize?: ArizeUploadState;
  /** The Phoenix experiment the runs were sent to, when the dataset is a Phoenix dataset (same counters). */
  phoenix?: ArizeUploadState;
  startedAt: string;
  finishedAt: string;
}

export interface ArizeUploadState {
  datasetId: string;
  /** The dataset version the examples were read from, pinned at the start. */
  datasetVersionId?: string;
  /** Set once the first batch created (or adopted) the experiment. */
  experimentId?: string;
  /** Runs the experiment holds from this pipeline (appended now, or found stored on a retry). */
  uploaded: number;
  /** Runs kept only in the local store: `dxp upload` sends them later. */
  notUploaded: number;
  /** Why uploading stopped, when it did. */
  error?: string;
}
