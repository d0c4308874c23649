/**
 * `experiment` workflow: resolves the dataset page by page, starts one `example` child per
 * (example, repetition), keeps `concurrency` of them in flight with no barrier, flushes their
 * run records to the results sink in batches, and continues-as-new to keep its history bounded.
 *
 * Children are started with ABANDON (the batch-sliding-window pattern): a run that
 * continues-as-new counts as closed, so children must outlive it, and the in-flight set is
 * carried over so concurrency stays full across generations. A child reports its run record once:
 * by its completion while the generation that started it runs; before continuing as new, that
 * generation asks its children still running to report by signal to the next one.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ExperimentActivities } from '../activities/experiment-activities';
import { example } from './example';
import { reportBySignalSignal, runRecordOf } from './example-contract';
import { EXPERIMENT_WORKFLOW_TASK_TIMEOUT, exampleWorkflowId, REPORT_BY_COMPLETION_PATCH, SMALL_GENERATIONS_PATCH } from './experiment-contract';
import type { CarriedState, ExperimentInput, ExperimentProgress, ExperimentResult, QueuedRun } from './experiment-contract';
import { progressQuery, runFinishedSignal } from './experiment-contract';
import { describeFailure, failWorkflowWith } from './failures';
import { progressLine, renderProgress } from './progress-details';
import { createResultsFlusher } from './results-flusher';
import { unrunRecord, type Example, type RunRecord } from '../core/records';
import {
  allDone,
  canStart,
  initialState,
  markStarted,
  onArizeBatch,
  onRunFinished,
  onRunRejected,
  pageRows,
  progressOf,
  shouldContinueAsNew,
  startCapacity,
  take,
  type GenerationBudget,
} from './experiment-state';
import { EXAMPLE_ID, EXPERIMENT_NAME, RUN_STATUS } from './search-attributes';
import { summaryOf } from '../core/summary-tally';
import { dryRunCap as dryRunCapOf } from '../core/dry-run';

/**
 * When a generation continues as new: whichever comes first. Every workflow task that misses the
 * worker's cache replays the whole generation, which must stay far inside the workflow-task
 * timeout on a loaded machine (a 3,968-event, 2.55 MB parent took 3.5 s to replay at load 6.7 and
 * stalled at load 11-14): at ~6 parent events and ~5 KB per child, 400 children make ~2,500
 * events and ~2 MB. Experiments started before the patch keep the budget they were recorded with.
 */
const GENERATION_BUDGET: GenerationBudget = { children: 400, events: 2_500, bytes: 2 * 1024 * 1024 };
const GENERATION_BUDGET_BEFORE_PATCH: GenerationBudget = { children: 1_000, events: Infinity, bytes: 20 * 1024 * 1024 };
/** A page's rows go into history once as an activity result and once per child input. */
const MAX_PAGE_ROWS = 500;

const prepareIo = proxyActivities<ExperimentActivities>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 },
});
// A heartbeat timeout notices a dead worker in seconds; without it a crash mid-call would cost the
// whole start-to-close timeout before the retry (these activities heartbeat while they work).
const datasetIo = proxyActivities<ExperimentActivities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 10 },
});
// The summary is written from the store: retry without limit, like the store's writes.
const SINK_OPTIONS = {
  startToCloseTimeout: '5m',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '1m' }, // no maximumAttempts: unlimited
} as const;
const sinkIo = proxyActivities<ExperimentActivities>(SINK_OPTIONS);

/** The next generation keeps the workflow-task timeout the experiment was started with. */
const nextGeneration = makeContinueAsNewFunc<typeof experiment>({ workflowTaskTimeout: EXPERIMENT_WORKFLOW_TASK_TIMEOUT });

export async function experiment(input: ExperimentInput): Promise<ExperimentResult> {
  // First, before any await: the same point of every run's history.
  const budget = patched(SMALL_GENERATIONS_PATCH) ? GENERATION_BUDGET : GENERATION_BUDGET_BEFORE_PATCH;
  // Before the patch every child reported by signal (and its completion event was ignored).
  const byCompletion = patched(REPORT_BY_COMPLETION_PATCH);
  const { spec } = input;
  const experimentId = spec.name;
  const workflowId = workflowInfo().workflowId;
  const workflowStartTime = new Date(workflowInfo().startTime).toISOString();
  // What the progress query sees: undefined only while a new experiment prepares (a continued one carries it in).
  let known: CarriedState | undefined = input.carried;
  let phase: ExperimentProgress['phase'] = known ? 'running' : 'preparing';
  let firstFailure: RunRecord | undefined;
  const progress = (): ExperimentProgress => progressOf(known, { experimentId, name: spec.name, phase, workflowStartTime });

  setHandler(progressQuery, progress);

  const state: CarriedState =
    known ??
    initialState(await prepareIo.prepareExperiment({ experimentId, spec, workflowId }).catch((err) => failWorkflowWith(err)), {
      startedAt: workflowStartTime,
      uploadToArize: spec.dryRun === false,
    });
  known = state;
  phase = 'running';
  const results = createResultsFlusher({
    experimentId,
    experimentName: spec.name,
    ownerWorkflowId: workflowId,
    flushEvery: spec.flushEvery,
    state,
    onArizeBatch: (outcome) => {
      if (state.arize) onArizeBatch(state.arize, outcome);
    },
    progress: () => progressLine(progress()),
  });

  /** Counts a run reported by its child, by signal or by completion, once (the caller checked it is in flight). */
  const accept = (record: RunRecord): void => {
    onRunFinished(state, record);
    if (record.error) firstFailure ??= record;
    results.add(record);
  };
  // Set once the state exists (no await since the carried state came in): a report buffered
  // before it is delivered here, at the same point of the history.
  setHandler(runFinishedSignal, (record) => {
    if (!(record.workflowId in state.inFlight)) {
      log.warn('ignoring a report from an example not in flight', { workflowId: record.workflowId });
      return;
    }
    accept(record);
  });

  const dryRunCap = dryRunCapOf(spec.dryRun);
  const perPage = pageRows(spec.concurrency, spec.repetitions, MAX_PAGE_ROWS);
  let startedThisGeneration = 0;
  const stopOnError = (): boolean => spec.exitOnError && firstFailure !== undefined;
  const done = (): boolean => allDone(state);
  const slotFree = (): boolean => canStart(state, spec.concurrency);

  const refill = async (): Promise<void> => {
    const page = await datasetIo
      .readExamples({ source: state.source, cursor: state.cursor, limit: perPage, sample: state.sample })
      .catch((err) => failWorkflowWith(err));
    take(state, page, { cap: dryRunCap, repetitions: spec.repetitions });
  };

  // Starts are not awaited: a slot freed by a finished child is refilled in the same workflow
  // task, not after a whole batch of starts has been confirmed.
  let starting = 0;
  /** Children of this generation that report by their completion (ids). */
  const ownChildren = new Set<string>();
  const startRun = (run: QueuedRun): void => {
    const { example: ex, repetition } = run;
    const childId = exampleWorkflowId(experimentId, ex.id, repetition);
    // A second row with the id of one still running: its workflow id is taken, and the first run must stay tracked.
    if (!markStarted(state, run, childId)) return rejectDuplicate(run);
    startedThisGeneration++;
    starting++;
    startChild(example, {
      workflowId: childId,
      args: [{ experimentId, parentWorkflowId: workflowId, example: ex, repetition, plan: state.plan, ...(byCompletion ? { report: 'completion' as const } : {}) }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: EXPERIMENT_NAME, value: spec.name },
        { key: EXAMPLE_ID, value: ex.id },
        // A child reporting by completion has its workflow status instead.
        ...(byCompletion ? [] : [{ key: RUN_STATUS, value: 'running' }]),
      ],
      staticSummary: `${spec.name}: example ${ex.id}, repetition ${repetition}`,
    })
      .then(
        (child) => {
          if (!byCompletion) return;
          ownChildren.add(childId);
          child.result().then(
            (record) => acceptOwn(childId, record),
            (err: unknown) => acceptOwn(childId, runRecordOf(err) ?? closedWithoutRecord(ex, repetition, childId, err)),
          );
        },
        (err: unknown) => {
          if (isCancellation(err)) return;
          // The id is taken by an earlier row with the same example id whose run has finished.
          delete state.inFlight[childId];
          rejectDuplicate(run, err);
        },
      )
      .finally(() => {
        starting--;
      });
  };

  /**
   * A child of this generation that closed with no run record (terminated, timed out, cancelled
   * by someone else): a failed run, so the experiment does not wait for it forever. Children
   * cancelled by the experiment's own finish are not counted.
   */
  const closedWithoutRecord = (ex: Example, repetition: number, childId: string, err: unknown): RunRecord | undefined => {
    if (isCancellation(err) && phase === 'finishing') return undefined;
    return unrunRecord({ exampleId: ex.id, repetition, workflowId: childId }, `the example workflow closed without a run record: ${describeFailure(err)}`);
  };

  /** A child's outcome in this generation's history: counted unless its signal came first. */
  const acceptOwn = (childId: string, record: RunRecord | undefined): void => {
    ownChildren.delete(childId);
    if (record && childId in state.inFlight) accept(record);
  };

  /**
   * Before continue-as-new: the next generation has no handle on this one's children, so those
   * still running are asked to report by signal. A child that closed before the request reached
   * it (the signal fails) has its completion on its way into this history: wait for it.
   */
  const handOver = async (): Promise<void> => {
    const children = [...ownChildren].filter((id) => id in state.inFlight);
    ownChildren.clear();
    await Promise.all(
      children.map(async (childId) => {
        try {
          await getExternalWorkflowHandle(childId).signal(reportBySignalSignal);
        } catch (err) {
          if (isCancellation(err)) throw err;
          await condition(() => !(childId in state.inFlight));
        }
      }),
    );
  };

  /** A row whose example id repeats an earlier row's: a failed run of its own; the earlier run is kept. */
  const rejectDuplicate = (run: QueuedRun, startError?: unknown): void => {
    const taken = startError === undefined || startError instanceof WorkflowExecutionAlreadyStartedError;
    const record = onRunRejected(state, experimentId, run, taken ? undefined : String(startError));
    firstFailure ??= record;
    results.add(record);
    log.warn('example rejected: its id repeats an earlier row', { exampleId: run.example.id, row: run.example.index + 1 });
  };

  try {
    for (;;) {
      setCurrentDetails(renderProgress(progress()));
      if (stopOnError()) break;
      if (done()) break;
      if (shouldContinueAsNew(workflowInfo(), budget, startedThisGeneration)) {
        // Carry over only children known to exist (a start can still fail as a duplicate).
        await condition(() => starting === 0);
        await handOver();
        await results.drain();
        await condition(allHandlersFinished);
        if (results.pending() > 0) continue;
        state.generation++;
        return await nextGeneration({ spec, carried: state });
      }
      if (slotFree()) {
        if (state.queue.length === 0) {
          await refill();
          continue;
        }
        state.queue.splice(0, startCapacity(state, spec.concurrency, budget, startedThisGeneration)).forEach(startRun);
        continue;
      }
      results.flushIfDue();
      await condition(() => slotFree() || done() || stopOnError() || results.due());
    }
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => finish('cancelled'));
    }
    throw err;
  }

  if (stopOnError() && firstFailure) {
    await finish('failed');
    throw ApplicationFailure.create({
      type: 'ExampleFailed',
      message: `exitOnError: example '${firstFailure.exampleId}' (repetition ${firstFailure.repetition}) failed: ${firstFailure.error}`,
      nonRetryable: true,
    });
  }
  return await finish('completed');

  /** Stops children still running (cancel, failure), stores every pending run, writes the summary. */
  async function finish(status: ExperimentResult['status']): Promise<ExperimentResult> {
    phase = 'finishing';
    await condition(() => starting === 0);
    if (status !== 'completed') {
      await Promise.all(
        Object.keys(state.inFlight).map((id) => getExternalWorkflowHandle(id).cancel().catch(() => undefined)),
      );
    }
    await results.drain();
    await condition(allHandlersFinished);
    await results.drain();
    const stored = await sinkIo.finalizeExperiment.executeWithOptions(
      { ...SINK_OPTIONS, ...(state.storeTaskQueue !== undefined ? { taskQueue: state.storeTaskQueue } : {}) },
      [{ experimentId, status, ...(state.store !== undefined ? { store: state.store } : {}) }],
    );
    // The experiment's own tally counts every run, whichever worker (and disk) stored it; an
    // experiment carried over from before the tally existed has only the store's count.
    const own = state.tally
      ? summaryOf(state.tally, { experimentId, name: spec.name, status, location: stored.location, startedAt: state.startedAt, finishedAt: stored.finishedAt })
      : stored;
    const summary = { ...own, ...(state.arize ? { arize: state.arize } : {}) };
    upsertSearchAttributes([{ key: RUN_STATUS, value: status }]);
    phase = 'done';
    setCurrentDetails(renderProgress(progress()));
    return summary;
  }
}
