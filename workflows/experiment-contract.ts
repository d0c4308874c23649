/**
 * Contract of the `experiment` workflow: its input, carried state, signals and queries.
 * Shared by the workflow, the client and tests; imports nothing with side effects.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ArizeUploadState, Example, ExperimentSummary, ResolvedDataset, RunRecord, TaskPlan } from '../core/records';
import type { ExperimentSpec } from '../core/spec';
import type { SummaryTally } from '../core/summary-tally';
import type { SamplePlan } from '../core/sample-plan';
import type { BudgetLimits } from '../core/budget';

export const EXPERIMENT_WORKFLOW_TYPE = 'experiment';

/** Generations are cut by events and bytes too, and smaller (experiment.ts); histories from before replay the old budget. */
export const SMALL_GENERATIONS_PATCH = 'small-generations';

/**
 * A generation's own children report by their completion, not also by signal (experiment.ts);
 * histories from before replay with every child reporting by signal.
 */
export const REPORT_BY_COMPLETION_PATCH = 'report-by-completion';

/**
 * The experiment's workflow-task timeout, chosen rather than left at Temporal's 10 s: a task that
 * misses the cache replays the whole generation (at most ~2,500 events, ~1.5 s at load 7 here), so
 * this leaves a loaded machine a wide margin; what it costs is the wait before a workflow task
 * that a worker took and then died with is retried, which only happens to a task in progress at
 * the crash (a dead worker's sticky tasks move on after 5 s whatever this is).
 */
export const EXPERIMENT_WORKFLOW_TASK_TIMEOUT = '20s';
export const DEFAULT_TASK_QUEUE = 'dxp-experiments';

/** Workflow id of an experiment: one per name, so `dxp run` twice attaches instead of starting twice. */
export function experimentWorkflowId(name: string): string {
  return `experiment/${name}`;
}

/** Child workflow id: deterministic, so a replayed or resumed parent never starts an example twice. */
export function exampleWorkflowId(experimentId: string, exampleId: string, repetition: number): string {
  return `${experimentWorkflowId(experimentId)}/example/${exampleId}/rep/${repetition}`;
}

export interface ExperimentInput {
  spec: ExperimentSpec;
  /** Present only when the workflow continued as new. */
  carried?: CarriedState;
}

export interface Counts {
  /** Runs that will exist when done (examples x repetitions), once known. */
  total: number | null;
  started: number;
  succeeded: number;
  failed: number;
  /** Of the failed: rows whose example id repeats an earlier row's (their runs never started). */
  skipped: number;
}

/** A run waiting to start: one example, one repetition. */
export interface QueuedRun {
  example: Example;
  repetition: number;
}

/** Everything the parent needs to go on after continue-as-new. Kept small: no finished runs. */
export interface CarriedState {
  plan: TaskPlan;
  source: ResolvedDataset;
  sample?: SamplePlan;
  cursor: string | null;
  exhausted: boolean;
  /** Examples taken from the dataset so far (dry-run cap). */
  taken: number;
  queue: QueuedRun[];
  /** Child workflow id → what it runs. */
  inFlight: Record<string, { exampleId: string; repetition: number }>;
  counts: Counts;
  startedAt: string;
  generation: number;
  location?: string;
  /** The results store's identity, from prepare: batches go only to workers that have it. */
  store?: string;
  /** The task queue of that store's workers (store calls are routed there). */
  storeTaskQueue?: string;
  /** Upload to Arize AX: present when the dataset is an Arize dataset and this is not a dry run. */
  arize?: ArizeUploadState;
  /** The same for a Phoenix dataset's experiment (present when not a dry run). */
  phoenix?: ArizeUploadState;
  /** The summary so far, from the run records reported (absent in state carried from before it existed). */
  tally?: SummaryTally;
  /** Set while paused: no new example starts; those in flight finish. Carried across continue-as-new. */
  paused?: PauseState;
  /** The spec's budget as raised by `resume` (absent: the spec's own). */
  limits?: BudgetLimits;
}

/** Who paused the experiment, when, and why. */
export interface PauseState {
  by: string;
  /** ISO time, from the workflow's clock. */
  since: string;
  reason?: string;
}

export interface PauseRequest {
  /** Who asks (the CLI sends user@host). */
  by: string;
  reason?: string;
  /** On resume: new limits, each replacing the spec's (or an earlier raise). */
  raise?: BudgetLimits;
}

/** What a pause or resume came to. */
export interface PauseOutcome {
  paused: boolean;
  /** The pause in force after the call (the earlier one when it was paused already). */
  pause?: PauseState;
  running: number;
  queued: number;
}

export interface ExperimentProgress {
  experimentId: string;
  name: string;
  phase: 'preparing' | 'running' | 'finishing' | 'done';
  counts: Counts;
  running: number;
  startedAt: string;
  /** How many times the parent continued as new. */
  generation: number;
  /** Set while the experiment is paused. */
  paused?: PauseState;
}

/** Sent by an example workflow to its experiment when its run is finished, unless it reports by its completion. */
export const runFinishedSignal = defineSignal<[RunRecord]>('runFinished');
export const progressQuery = defineQuery<ExperimentProgress>('progress');
/** Stops starting new examples (those in flight finish); idempotent: pausing a paused experiment keeps the first pause. */
export const pauseUpdate = defineUpdate<PauseOutcome, [PauseRequest]>('pause');
/** Starts examples again; resuming one that is not paused changes nothing. */
export const resumeUpdate = defineUpdate<PauseOutcome, [PauseRequest]>('resume');

export type ExperimentResult = ExperimentSummary;
