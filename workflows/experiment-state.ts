/**
 * The experiment's carried state and the rules that move it, as plain functions: no Temporal
 * calls, so test/experiment-state.test.ts checks them without a server, and experiment.ts reads
 * as the loop it is. Every function here is deterministic (it runs inside the workflow).
 */
import type { Prepared } from '../activities/experiment-activities';
import type { ArizeUploadState, Example, RunRecord } from '../core/records';
import { unrunRecord } from '../core/records';
import { addRun, emptyTally } from '../core/summary-tally';
import { raiseLimits, type BudgetLimits, type BudgetUsage } from '../core/budget';
import type { CarriedState, ExperimentProgress, PauseOutcome, PauseRequest, QueuedRun } from './experiment-contract';
import { exampleWorkflowId } from './experiment-contract';

/** When a generation continues as new, whichever limit comes first. */
export interface GenerationBudget {
  children: number;
  events: number;
  bytes: number;
}

/** What the server says of this generation's history (workflowInfo()'s fields). */
export interface HistoryInfo {
  continueAsNewSuggested: boolean;
  historySize: number;
  historyLength: number;
}

/** The state of a new experiment, from what the prepare activity resolved. */
export function initialState(prepared: Prepared, opts: { startedAt: string; uploadToArize: boolean }): CarriedState {
  return {
    plan: prepared.plan,
    source: prepared.source,
    sample: prepared.sample,
    cursor: null,
    exhausted: false,
    taken: 0,
    queue: [],
    inFlight: {},
    counts: { total: prepared.total, started: 0, succeeded: 0, failed: 0, skipped: 0 },
    tally: emptyTally(),
    startedAt: opts.startedAt,
    generation: 0,
    location: prepared.location,
    ...(prepared.store !== undefined ? { store: prepared.store } : {}),
    ...(prepared.storeTaskQueue !== undefined ? { storeTaskQueue: prepared.storeTaskQueue } : {}),
    ...(prepared.source.kind === 'arize' && opts.uploadToArize
      ? { arize: { datasetId: prepared.source.datasetId, datasetVersionId: prepared.source.versionId, uploaded: 0, notUploaded: 0 } }
      : {}),
    ...(prepared.source.kind === 'phoenix' && opts.uploadToArize
      ? { phoenix: { datasetId: prepared.source.datasetId, datasetVersionId: prepared.source.versionId, uploaded: 0, notUploaded: 0 } }
      : {}),
  };
}

export function runningCount(s: CarriedState | undefined): number {
  return s ? Object.keys(s.inFlight).length : 0;
}

/** Every example read, queued and reported. */
export function allDone(s: CarriedState): boolean {
  return s.exhausted && s.queue.length === 0 && runningCount(s) === 0;
}

/** A slot is free and there is something to fill it with (queued, or still to be read). */
export function canStart(s: CarriedState, concurrency: number): boolean {
  return !s.paused && runningCount(s) < concurrency && (s.queue.length > 0 || !s.exhausted);
}

/** How many queued runs to start now: the free slots, within what this generation may still start. */
export function startCapacity(s: CarriedState, concurrency: number, budget: GenerationBudget, startedThisGeneration: number): number {
  return Math.min(concurrency - runningCount(s), budget.children - startedThisGeneration);
}

export function shouldContinueAsNew(info: HistoryInfo, budget: GenerationBudget, startedThisGeneration: number): boolean {
  return info.continueAsNewSuggested || info.historySize > budget.bytes || info.historyLength > budget.events || startedThisGeneration >= budget.children;
}

/** Rows read per page: enough for two rounds of concurrency (at least 50 runs), at most `maxRows`. */
export function pageRows(concurrency: number, repetitions: number, maxRows: number): number {
  return Math.max(1, Math.min(maxRows, Math.ceil(Math.max(concurrency * 2, 50) / repetitions)));
}

/** Takes a page of examples into the queue, one run per repetition, up to the dry-run cap. */
export function take(s: CarriedState, page: { examples: Example[]; nextCursor: string | null }, opts: { cap: number; repetitions: number }): void {
  const room = opts.cap - s.taken;
  const taken = page.examples.slice(0, Math.max(0, room));
  s.taken += taken.length;
  s.cursor = page.nextCursor;
  s.exhausted = page.nextCursor === null || s.taken >= opts.cap;
  for (const example of taken) {
    for (let repetition = 1; repetition <= opts.repetitions; repetition++) s.queue.push({ example, repetition });
  }
}

/** Marks a run started; false when a run of the same id is still in flight (a duplicate row). */
export function markStarted(s: CarriedState, run: QueuedRun, childId: string): boolean {
  s.counts.started++;
  if (childId in s.inFlight) return false;
  s.inFlight[childId] = { exampleId: run.example.id, repetition: run.repetition };
  return true;
}

/** Counts a run its child reported; the caller checked it was in flight. */
export function onRunFinished(s: CarriedState, record: RunRecord): void {
  delete s.inFlight[record.workflowId];
  if (record.error) s.counts.failed++;
  else s.counts.succeeded++;
  if (s.tally) addRun(s.tally, record);
}

/**
 * The failed run of a row that could not start: its example id repeats an earlier row's (`taken`:
 * the earlier run is kept), or its start failed otherwise. Counted here.
 */
export function onRunRejected(s: CarriedState, experimentId: string, run: QueuedRun, startError: string | undefined): RunRecord {
  const { example, repetition } = run;
  const row = example.index + 1;
  const record: RunRecord = {
    ...unrunRecord(
      { exampleId: example.id, repetition, workflowId: exampleWorkflowId(experimentId, example.id, repetition) },
      startError === undefined
        ? `duplicate example id '${example.id}': row ${row} repeats the id of an earlier row, whose run is kept`
        : `row ${row}: could not start its example workflow: ${startError}`,
    ),
    duplicateRow: row,
  };
  s.counts.failed++;
  if (startError === undefined) s.counts.skipped++;
  if (s.tally) addRun(s.tally, record);
  return record;
}

/** What one batch's upload to Arize came to, as the results flusher reports it. */
export type ArizeBatchOutcome =
  | { kind: 'uploaded'; experimentId: string; runs: number }
  | { kind: 'failed'; error: string; runs: number }
  | { kind: 'skipped'; runs: number };

/** Folds a batch's upload outcome into the carried Arize (or Phoenix) counters. */
export function onArizeBatch(arize: ArizeUploadState, outcome: ArizeBatchOutcome): void {
  if (outcome.kind === 'uploaded') {
    arize.experimentId = outcome.experimentId;
    arize.uploaded += outcome.runs;
    return;
  }
  if (outcome.kind === 'failed') arize.error = outcome.error;
  arize.notUploaded += outcome.runs;
}

export function progressOf(
  s: CarriedState | undefined,
  at: { experimentId: string; name: string; phase: ExperimentProgress['phase']; workflowStartTime: string },
): ExperimentProgress {
  return {
    experimentId: at.experimentId,
    name: at.name,
    phase: at.phase,
    counts: s?.counts ?? { total: null, started: 0, succeeded: 0, failed: 0, skipped: 0 },
    running: runningCount(s),
    startedAt: s?.startedAt ?? at.workflowStartTime,
    generation: s?.generation ?? 0,
    ...(s?.paused ? { paused: s.paused } : {}),
  };
}

/** Pauses (keeping an earlier pause as it was); what it came to. */
export function pause(s: CarriedState, request: PauseRequest, now: string): PauseOutcome {
  s.paused ??= { by: request.by, since: now, ...(request.reason ? { reason: request.reason } : {}) };
  return pauseOutcome(s);
}

export function resume(s: CarriedState, raise?: BudgetLimits, specLimits?: BudgetLimits): PauseOutcome {
  if (raise) s.limits = raiseLimits(s.limits ?? specLimits, raise);
  delete s.paused;
  return pauseOutcome(s);
}

/** The limits in force: the spec's, as raised since. */
export function limitsOf(s: CarriedState, specLimits: BudgetLimits | undefined): BudgetLimits | undefined {
  return s.limits ?? specLimits;
}

/** What the runs so far used, for the budget. */
export function usageOf(s: CarriedState): BudgetUsage {
  return {
    tokens: s.tally?.agent?.totalTokens ?? 0,
    costUsd: s.tally?.agent?.costUsd ?? 0,
    runs: s.counts.succeeded + s.counts.failed,
    failed: s.counts.failed,
  };
}

export function pauseOutcome(s: CarriedState): PauseOutcome {
  return { paused: s.paused !== undefined, ...(s.paused ? { pause: s.paused } : {}), running: runningCount(s), queued: s.queue.length };
}
