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
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ExperimentActivities } from '../activities/experiment-activities';
import { createChildren } from './experiment-children';
import { EXPERIMENT_WORKFLOW_TASK_TIMEOUT, REPORT_BY_COMPLETION_PATCH, SMALL_GENERATIONS_PATCH } from './experiment-contract';
import type { CarriedState, ExperimentInput, ExperimentProgress, ExperimentResult, PauseRequest, QueuedRun } from './experiment-contract';
import { pauseUpdate, progressQuery, resumeUpdate, runFinishedSignal } from './experiment-contract';
import { failWorkflowWith } from './failures';
import { progressLine, renderProgress } from './progress-details';
import { createResultsFlusher } from './results-flusher';
import type { RunRecord } from '../core/records';
import {
  allDone,
  canStart,
  initialState,
  onArizeBatch,
  onRunFinished,
  onRunRejected,
  pageRows,
  limitsOf,
  pause,
  resume,
  usageOf,
  progressOf,
  shouldContinueAsNew,
  startCapacity,
  take,
  type GenerationBudget,
} from './experiment-state';
import { RUN_STATUS } from './search-attributes';
import { summaryOf } from '../core/summary-tally';
import { dryRunCap as dryRunCapOf } from '../core/dry-run';
import { limitReached } from '../core/budget';
import { FAILURE_TYPES } from '../core/failure-types';

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
  // Operators' controls. An update (not a signal): the caller learns it took, and what is in flight.
  const operable = (request: PauseRequest): void => {
    if (!request?.by) throw new Error('say who asks: { by: "user@host" }');
    if (!known) throw new Error('the experiment is still preparing its dataset; try again in a moment');
    if (phase === 'finishing' || phase === 'done') throw new Error(`the experiment is ${phase}: there is nothing left to start`);
  };
  setHandler(pauseUpdate, (request) => {
    const outcome = pause(known!, request, new Date().toISOString());
    setCurrentDetails(renderProgress(progress()));
    log.info('experiment paused', { by: outcome.pause?.by, reason: outcome.pause?.reason });
    return outcome;
  }, { validator: operable });
  setHandler(resumeUpdate, (request) => {
    const outcome = resume(known!, request.raise, spec.budget);
    setCurrentDetails(renderProgress(progress()));
    log.info('experiment resumed', { by: request.by, ...(request.raise ? { raise: request.raise } : {}) });
    return outcome;
  }, {
    validator: (request) => {
      operable(request);
      // Resuming into a limit already reached would pause again at the next run: say so instead.
      const limits = request.raise ? { ...limitsOf(known!, spec.budget), ...request.raise } : limitsOf(known!, spec.budget);
      const still = limitReached(limits, usageOf(known!));
      if (still) throw new Error(`${still}: resume with a higher limit (dxp resume --raise-budget)`);
    },
  });
  /** A limit reached after a run: pause (the default) or stop. */
  let limitStop: string | undefined;

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
    onPhoenixBatch: (outcome) => {
      if (state.phoenix) onArizeBatch(state.phoenix, outcome);
    },
    repetitions: spec.repetitions,
    progress: () => progressLine(progress()),
  });

  /** Counts a run reported by its child, by signal or by completion, once (the caller checked it is in flight). */
  const accept = (record: RunRecord): void => {
    onRunFinished(state, record);
    if (record.error) firstFailure ??= record;
    results.add(record);
    if (!spec.budget || state.paused || limitStop) return;
    const reached = limitReached(limitsOf(state, spec.budget), usageOf(state));
    if (!reached) return;
    if (spec.budget.onLimit === 'stop') limitStop = reached;
    else {
      pause(state, { by: 'dxp (limit)', reason: reached }, new Date().toISOString());
      setCurrentDetails(renderProgress(progress()));
    }
    log.warn(`experiment ${spec.budget.onLimit === 'stop' ? 'stopping' : 'paused'}: ${reached}`);
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
  const stopOnError = (): boolean => (spec.exitOnError && firstFailure !== undefined) || limitStop !== undefined;
  const done = (): boolean => allDone(state);
  const slotFree = (): boolean => canStart(state, spec.concurrency);

  const refill = async (): Promise<void> => {
    const page = await datasetIo
      .readExamples({ source: state.source, cursor: state.cursor, limit: perPage, sample: state.sample })
      .catch((err) => failWorkflowWith(err));
    take(state, page, { cap: dryRunCap, repetitions: spec.repetitions });
  };

  /** A row whose example id repeats an earlier row's: a failed run of its own; the earlier run is kept. */
  const rejectDuplicate = (run: QueuedRun, startError?: unknown): void => {
    const taken = startError === undefined || startError instanceof WorkflowExecutionAlreadyStartedError;
    const record = onRunRejected(state, experimentId, run, taken ? undefined : String(startError));
    firstFailure ??= record;
    results.add(record);
    log.warn('example rejected: its id repeats an earlier row', { exampleId: run.example.id, row: run.example.index + 1 });
  };

  const children = createChildren({
    experimentId,
    experimentName: spec.name,
    workflowId,
    state,
    byCompletion,
    accept,
    reject: rejectDuplicate,
    finishing: () => phase === 'finishing',
  });

  try {
    for (;;) {
      setCurrentDetails(renderProgress(progress()));
      if (stopOnError()) break;
      if (done()) break;
      if (shouldContinueAsNew(workflowInfo(), budget, children.startedThisGeneration())) {
        // Carry over only children known to exist (a start can still fail as a duplicate).
        await condition(() => children.starting() === 0);
        await children.handOver();
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
        state.queue.splice(0, startCapacity(state, spec.concurrency, budget, children.startedThisGeneration())).forEach((run) => children.start(run));
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

  if (limitStop) {
    await finish('failed');
    throw ApplicationFailure.create({ type: FAILURE_TYPES.limitReached, message: `stopped: ${limitStop}`, nonRetryable: true });
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
    await condition(() => children.starting() === 0);
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
    const summary = { ...own, ...(state.arize ? { arize: state.arize } : {}), ...(state.phoenix ? { phoenix: state.phoenix } : {}) };
    upsertSearchAttributes([{ key: RUN_STATUS, value: status }]);
    phase = 'done';
    setCurrentDetails(renderProgress(progress()));
    return summary;
  }
}
