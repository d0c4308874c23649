/**
 * The experiment's results path, in workflow code: run records wait here, then go to the results
 * store (on its own task queue) and (for Arize datasets) to Arize, one batch at a time in the
 * background while children run. A batch cut short by cancellation is kept and sent again; Arize
 * trouble never stops the experiment (the runs stay in the store for `dxp upload`).
 */
import { ActivityFailure, CancellationScope, isCancellation, log, proxyActivities, sleep, type ActivityOptions } from '@temporalio/workflow';
import type { ExperimentActivities } from '../activities/experiment-activities';
import { uploadToArize } from './arize-upload';
import { uploadToPhoenix } from './phoenix-upload';
import type { CarriedState } from './experiment-contract';
import type { ArizeBatchOutcome } from './experiment-state';
import type { RunRecord } from '../core/records';

/** At least this often, so results appear while a slow experiment runs. */
const FLUSH_INTERVAL = '10s';

// Results are kept until the store takes them: retry without limit, so an outage never loses runs.
// The activity heartbeats every second: a dead worker is noticed in seconds, not minutes.
const RECORD_OPTIONS = {
  startToCloseTimeout: '5m',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '1m' }, // no maximumAttempts: unlimited
} as const;
const { recordRuns } = proxyActivities<ExperimentActivities>(RECORD_OPTIONS);

/**
 * What the flusher reaches outside itself: in a workflow, the store's activity, the Arize upload
 * and a timer; in its unit test (test/results-flusher.test.ts), fakes, with no server.
 */
export interface FlusherIo {
  recordRuns(options: ActivityOptions, input: Parameters<ExperimentActivities['recordRuns']>[0]): Promise<unknown>;
  uploadToArize(input: Parameters<typeof uploadToArize>[0]): ReturnType<typeof uploadToArize>;
  uploadToPhoenix(input: Parameters<typeof uploadToPhoenix>[0]): ReturnType<typeof uploadToPhoenix>;
  /** Resolves when the flush interval has passed. */
  interval(): Promise<void>;
  /** False while the scope is being cancelled: a flush cut by cancellation is retried only in the non-cancellable finish. */
  mayRetry(): boolean;
  warn(message: string, attributes: Record<string, unknown>): void;
}

const WORKFLOW_IO: FlusherIo = {
  recordRuns: (options, input) => recordRuns.executeWithOptions(options, [input]),
  uploadToArize: (input) => uploadToArize(input),
  uploadToPhoenix: (input) => uploadToPhoenix(input),
  interval: () => sleep(FLUSH_INTERVAL),
  mayRetry: () => !CancellationScope.current().consideredCancelled,
  warn: (message, attributes) => log.warn(message, attributes),
};

export interface ResultsFlusher {
  add(record: RunRecord): void;
  /** Records not yet handed to a flush. */
  pending(): number;
  /** True when a flush should start now (a full batch, or the interval passed). */
  due(): boolean;
  /** Starts a batch if one is due, and arms the interval timer. */
  flushIfDue(): void;
  /** Sends everything pending and waits for it. */
  drain(): Promise<void>;
}

export interface FlusherOptions {
  experimentId: string;
  experimentName: string;
  ownerWorkflowId: string;
  flushEvery: number;
  /** The experiment's state (read only here: where the store is, the Arize upload so far). */
  state: Readonly<CarriedState>;
  /** What each batch's upload to Arize came to; the experiment folds it into its state. */
  onArizeBatch: (outcome: ArizeBatchOutcome) => void;
  /** The same for a Phoenix dataset's experiment. */
  onPhoenixBatch?: (outcome: ArizeBatchOutcome) => void;
  /** The spec's repetitions: the Phoenix experiment is created with them. */
  repetitions?: number;
  /** One line of progress: the label of each store call in the UI's timeline (the experiment's main page). */
  progress?: () => string;
}

export function createResultsFlusher(opts: FlusherOptions, io: FlusherIo = WORKFLOW_IO): ResultsFlusher {
  const { experimentId, flushEvery } = opts;
  const pending: RunRecord[] = [];
  let flushing: Promise<void> | undefined;
  let flushError: unknown;
  let intervalPassed = false;
  let timerArmed = false;
  let resendUpload = false;

  // The local store first (durable, cheap), then Arize.
  const storeBatch = async (batch: RunRecord[]): Promise<void> => {
    const line = opts.progress?.();
    const { store, storeTaskQueue } = opts.state;
    await io.recordRuns(
      {
        ...RECORD_OPTIONS,
        // Only workers of the experiment's store poll its queue: no run is written anywhere else.
        ...(storeTaskQueue !== undefined ? { taskQueue: storeTaskQueue } : {}),
        ...(line ? { summary: `store ${batch.length} runs · ${line}` } : {}),
      },
      { experimentId, runs: batch, ...(store !== undefined ? { store } : {}) },
    );
    const s = opts.state;
    if (s.source.kind === 'phoenix') {
      await sendToPhoenix(batch);
      return;
    }
    const arize = s.arize;
    if (!arize || s.source.kind !== 'arize') return;
    if (arize.error) {
      opts.onArizeBatch({ kind: 'skipped', runs: batch.length });
      return;
    }
    try {
      const result = await io.uploadToArize({
        experimentName: opts.experimentName,
        datasetId: s.source.datasetId,
        ownerWorkflowId: opts.ownerWorkflowId,
        ...(arize.experimentId ? { arizeExperimentId: arize.experimentId } : {}),
        runs: batch,
        resend: resendUpload,
      });
      resendUpload = false;
      opts.onArizeBatch({ kind: 'uploaded', experimentId: result.arizeExperimentId, runs: result.appended + result.alreadyStored });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Rejected, or down for longer than the upload's schedule-to-close: keep computing.
      const error = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
      opts.onArizeBatch({ kind: 'failed', error, runs: batch.length });
      io.warn('upload to Arize stopped; runs stay in the results store', { error });
    }
  };

  // Phoenix as Arize: after the store, and trouble there never stops the experiment.
  const sendToPhoenix = async (batch: RunRecord[]): Promise<void> => {
    const { source, phoenix, plan } = opts.state;
    const report = opts.onPhoenixBatch ?? (() => undefined);
    if (!phoenix || source.kind !== 'phoenix') return;
    if (phoenix.error) {
      report({ kind: 'skipped', runs: batch.length });
      return;
    }
    try {
      const result = await io.uploadToPhoenix({
        experimentName: opts.experimentName,
        datasetId: source.datasetId,
        versionId: source.versionId,
        repetitions: opts.repetitions ?? 1,
        ownerWorkflowId: opts.ownerWorkflowId,
        ...(phoenix.experimentId ? { phoenixExperimentId: phoenix.experimentId } : {}),
        runs: batch,
        // Model-bound evaluators run on the model queue: Phoenix shows them as LLM annotators.
        llmEvaluators: plan.evaluators.filter((e) => e.taskQueue !== undefined).map((e) => e.column),
      });
      report({ kind: 'uploaded', experimentId: result.phoenixExperimentId, runs: result.appended + result.alreadyStored });
    } catch (err) {
      if (isCancellation(err)) throw err;
      const error = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
      report({ kind: 'failed', error, runs: batch.length });
      io.warn('upload to Phoenix stopped; runs stay in the results store', { error });
    }
  };

  const flush = (all: boolean): void => {
    if (flushing || pending.length === 0) return;
    if (!all && !intervalPassed && pending.length < flushEvery) return;
    intervalPassed = false;
    const batch = pending.splice(0, flushEvery);
    flushing = storeBatch(batch)
      .then(
        () => undefined,
        (err: unknown) => {
          // Keep the runs: a cancelled flush is sent again from the non-cancellable finish.
          pending.unshift(...batch);
          resendUpload = true;
          flushError = err;
        },
      )
      .finally(() => {
        flushing = undefined;
      });
  };

  const armTimer = (): void => {
    if (timerArmed || pending.length === 0) return;
    timerArmed = true;
    io.interval()
      .then(() => {
        intervalPassed = true;
      })
      .catch(() => undefined) // cancelled with the workflow
      .finally(() => {
        timerArmed = false;
      });
  };

  return {
    add: (record) => void pending.push(record),
    pending: () => pending.length,
    due: () => !flushing && pending.length > 0 && (intervalPassed || pending.length >= flushEvery),
    flushIfDue() {
      flush(false);
      armTimer();
    },
    async drain() {
      while (pending.length > 0 || flushing) {
        flush(true);
        await flushing;
        if (flushError !== undefined) {
          const err = flushError;
          flushError = undefined;
          // Retry a flush cut by cancellation once we are in the non-cancellable finish.
          if (isCancellation(err) && io.mayRetry()) continue;
          throw err;
        }
      }
    },
  };
}
