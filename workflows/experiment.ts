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
import { EXAMPLE_ID, EXPERIMENT_NAME, RUN_STATUS } from './search-attributes';
import { addRun, emptyTally, summaryOf } from '../core/summary-tally';
import { dryRunCap as dryRunCapOf } from '../core/dry-run';

/**
 * When a generation continues as new: whichever comes first. Every workflow task that misses the
 * worker's cache replays the whole generation, which must stay far inside the workflow-task
 * timeout on a loaded machine (a 3,968-event, 2.55 MB parent took 3.5 s to replay at load 6.7 and
 * stalled at load 11-14): at ~6 parent events and ~5 KB per child, 400 children make ~2,500
 * events and ~2 MB. Experiments started before the patch keep the budget they were recorded with.
 */
const GENERATION_BUDGET = { children: 400, events: 2_500, bytes: 2 * 1024 * 1024 };
const GENERATION_BUDGET_BEFORE_PATCH = { children: 1_000, events: Infinity, bytes: 20 * 1024 * 1024 };
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
  let state: CarriedState | undefined = input.carried;
  let phase: ExperimentProgress['phase'] = state ? 'running' : 'preparing';
  const results = createResultsFlusher({
    experimentId,
    experimentName: spec.name,
    ownerWorkflowId: workflowId,
    flushEvery: spec.flushEvery,
    state: () => state as CarriedState,
    progress: () => progressLine(progress()),
  });
  let firstFailure: RunRecord | undefined;

  const running = (): number => (state ? Object.keys(state.inFlight).length : 0);
  const progress = (): ExperimentProgress => ({
    experimentId,
    name: spec.name,
    phase,
    counts: state?.counts ?? { total: null, started: 0, succeeded: 0, failed: 0, skipped: 0 },
    running: running(),
    startedAt: state?.startedAt ?? new Date(workflowInfo().startTime).toISOString(),
    generation: state?.generation ?? 0,
  });

  /** Counts a run reported by its child, by signal or by completion, once. */
  const accept = (record: RunRecord): void => {
    if (!state) return;
    delete state.inFlight[record.workflowId];
    if (record.error) {
      state.counts.failed++;
      firstFailure ??= record;
    } else {
      state.counts.succeeded++;
    }
    if (state.tally) addRun(state.tally, record);
    results.add(record);
  };
  setHandler(progressQuery, progress);
  setHandler(runFinishedSignal, (record) => {
    if (!state || !(record.workflowId in state.inFlight)) {
      log.warn('ignoring a report from an example not in flight', { workflowId: record.workflowId });
      return;
    }
    accept(record);
  });

  if (!state) {
    const prepared = await prepareIo.prepareExperiment({ experimentId, spec, workflowId }).catch((err) => failWorkflowWith(err));
    state = {
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
      startedAt: new Date(workflowInfo().startTime).toISOString(),
      generation: 0,
      location: prepared.location,
      ...(prepared.store !== undefined ? { store: prepared.store } : {}),
      ...(prepared.storeTaskQueue !== undefined ? { storeTaskQueue: prepared.storeTaskQueue } : {}),
      ...(prepared.source.kind === 'arize' && spec.dryRun === false
        ? { arize: { datasetId: prepared.source.datasetId, datasetVersionId: prepared.source.versionId, uploaded: 0, notUploaded: 0 } }
        : {}),
    };
  }
  const s: CarriedState = state;
  phase = 'running';

  const dryRunCap = dryRunCapOf(spec.dryRun);
  const perPage = Math.max(1, Math.min(MAX_PAGE_ROWS, Math.ceil(Math.max(spec.concurrency * 2, 50) / spec.repetitions)));
  let startedThisGeneration = 0;
  const shouldContinueAsNew = (): boolean => {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      info.historySize > budget.bytes ||
      info.historyLength > budget.events ||
      startedThisGeneration >= budget.children
    );
  };
  const allDone = (): boolean => s.exhausted && s.queue.length === 0 && running() === 0;
  const canStart = (): boolean => running() < spec.concurrency && (s.queue.length > 0 || !s.exhausted);
  const stopOnError = (): boolean => spec.exitOnError && firstFailure !== undefined;

  const refill = async (): Promise<void> => {
    const page = await datasetIo
      .readExamples({ source: s.source, cursor: s.cursor, limit: perPage, sample: s.sample })
      .catch((err) => failWorkflowWith(err));
    const room = dryRunCap - s.taken;
    const taken = page.examples.slice(0, Math.max(0, room));
    s.taken += taken.length;
    s.cursor = page.nextCursor;
    s.exhausted = page.nextCursor === null || s.taken >= dryRunCap;
    for (const ex of taken) {
      for (let repetition = 1; repetition <= spec.repetitions; repetition++) s.queue.push({ example: ex, repetition });
    }
  };

  // Starts are not awaited: a slot freed by a finished child is refilled in the same workflow
  // task, not after a whole batch of starts has been confirmed.
  let starting = 0;
  /** Children of this generation that report by their completion (ids). */
  const ownChildren = new Set<string>();
  const startRun = ({ example: ex, repetition }: QueuedRun): void => {
    const childId = exampleWorkflowId(experimentId, ex.id, repetition);
    s.counts.started++;
    // A second row with the id of one still running: its workflow id is taken, and the first run must stay tracked.
    if (childId in s.inFlight) return rejectDuplicate(ex, repetition);
    s.inFlight[childId] = { exampleId: ex.id, repetition };
    startedThisGeneration++;
    starting++;
    startChild(example, {
      workflowId: childId,
      args: [{ experimentId, parentWorkflowId: workflowId, example: ex, repetition, plan: s.plan, ...(byCompletion ? { report: 'completion' as const } : {}) }],
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
          delete s.inFlight[childId];
          rejectDuplicate(ex, repetition, err);
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
    if (record && childId in s.inFlight) accept(record);
  };

  /**
   * Before continue-as-new: the next generation has no handle on this one's children, so those
   * still running are asked to report by signal. A child that closed before the request reached
   * it (the signal fails) has its completion on its way into this history: wait for it.
   */
  const handOver = async (): Promise<void> => {
    const children = [...ownChildren].filter((id) => id in s.inFlight);
    ownChildren.clear();
    await Promise.all(
      children.map(async (childId) => {
        try {
          await getExternalWorkflowHandle(childId).signal(reportBySignalSignal);
        } catch (err) {
          if (isCancellation(err)) throw err;
          await condition(() => !(childId in s.inFlight));
        }
      }),
    );
  };

  /** A row whose example id repeats an earlier row's: a failed run of its own; the earlier run is kept. */
  const rejectDuplicate = (ex: Example, repetition: number, startError?: unknown): void => {
    const row = ex.index + 1;
    const taken = startError === undefined || startError instanceof WorkflowExecutionAlreadyStartedError;
    const record: RunRecord = {
      ...unrunRecord(
        { exampleId: ex.id, repetition, workflowId: exampleWorkflowId(experimentId, ex.id, repetition) },
        taken
          ? `duplicate example id '${ex.id}': row ${row} repeats the id of an earlier row, whose run is kept`
          : `row ${row}: could not start its example workflow: ${String(startError)}`,
      ),
      duplicateRow: row,
    };
    s.counts.failed++;
    if (taken) s.counts.skipped++;
    firstFailure ??= record;
    if (s.tally) addRun(s.tally, record);
    results.add(record);
    log.warn('example rejected: its id repeats an earlier row', { exampleId: ex.id, row });
  };

  try {
    for (;;) {
      setCurrentDetails(renderProgress(progress()));
      if (stopOnError()) break;
      if (allDone()) break;
      if (shouldContinueAsNew()) {
        // Carry over only children known to exist (a start can still fail as a duplicate).
        await condition(() => starting === 0);
        await handOver();
        await results.drain();
        await condition(allHandlersFinished);
        if (results.pending() > 0) continue;
        s.generation++;
        return await nextGeneration({ spec, carried: s });
      }
      if (canStart()) {
        if (s.queue.length === 0) {
          await refill();
          continue;
        }
        const capacity = Math.min(spec.concurrency - running(), budget.children - startedThisGeneration);
        s.queue.splice(0, capacity).forEach(startRun);
        continue;
      }
      results.flushIfDue();
      await condition(() => canStart() || allDone() || stopOnError() || results.due());
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
        Object.keys(s.inFlight).map((id) => getExternalWorkflowHandle(id).cancel().catch(() => undefined)),
      );
    }
    await results.drain();
    await condition(allHandlersFinished);
    await results.drain();
    const stored = await sinkIo.finalizeExperiment.executeWithOptions(
      { ...SINK_OPTIONS, ...(s.storeTaskQueue !== undefined ? { taskQueue: s.storeTaskQueue } : {}) },
      [{ experimentId, status, ...(s.store !== undefined ? { store: s.store } : {}) }],
    );
    // The experiment's own tally counts every run, whichever worker (and disk) stored it; an
    // experiment carried over from before the tally existed has only the store's count.
    const own = s.tally
      ? summaryOf(s.tally, { experimentId, name: spec.name, status, location: stored.location, startedAt: s.startedAt, finishedAt: stored.finishedAt })
      : stored;
    const summary = { ...own, ...(s.arize ? { arize: s.arize } : {}) };
    upsertSearchAttributes([{ key: RUN_STATUS, value: status }]);
    phase = 'done';
    setCurrentDetails(renderProgress(progress()));
    return summary;
  }
}
