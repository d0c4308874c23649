/**
 * The results flusher (workflows/results-flusher.ts) without a server: its store calls, Arize
 * uploads and timer replaced through its FlusherIo seam. Batching by size and by interval, one
 * batch at a time, a batch cut by cancellation kept and sent again (the upload as a resend), and
 * each Arize outcome reported, never thrown.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { RunRecord } from '../core/records';
import type { CarriedState } from '../workflows/experiment-contract';
import type { ArizeBatchOutcome } from '../workflows/experiment-state';
import { createResultsFlusher, type FlusherIo } from '../workflows/results-flusher';

const record = (n: number): RunRecord => ({ exampleId: `e${n}`, repetition: 1, workflowId: `w${n}` }) as unknown as RunRecord;
/** Lets the flusher's promise chains run to their next wait. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Deferred {
  resolve(): void;
  reject(err: unknown): void;
}

/** Fakes of the store call, the upload and the timer: each call waits until the test settles it. */
function fakeIo() {
  const stored: { runs: string[]; taskQueue?: string; summary?: string; deferred: Deferred }[] = [];
  const uploads: { runs: string[]; resend: boolean; arizeExperimentId?: string }[] = [];
  const timers: (() => void)[] = [];
  const warnings: string[] = [];
  let uploadFails: unknown;
  let retryAllowed = true;
  const io: FlusherIo = {
    recordRuns: (options, input) =>
      new Promise<void>((resolve, reject) => {
        stored.push({
          runs: input.runs.map((r) => r.exampleId),
          ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
          ...(options.summary ? { summary: options.summary } : {}),
          deferred: { resolve, reject },
        });
      }),
    uploadToArize: async (input) => {
      uploads.push({ runs: input.runs.map((r) => r.exampleId), resend: input.resend, ...(input.arizeExperimentId ? { arizeExperimentId: input.arizeExperimentId } : {}) });
      if (uploadFails !== undefined) throw uploadFails;
      return { arizeExperimentId: 'ax-1', appended: input.runs.length, alreadyStored: 0 };
    },
    uploadToPhoenix: () => Promise.reject(new Error('no Phoenix dataset in these tests')),
    interval: () => new Promise<void>((resolve) => timers.push(resolve)),
    mayRetry: () => retryAllowed,
    warn: (message) => warnings.push(message),
  };
  return {
    io,
    stored,
    uploads,
    timers,
    warnings,
    failUploads: (err: unknown) => (uploadFails = err),
    forbidRetry: () => (retryAllowed = false),
  };
}

function flusherWith(state: Partial<CarriedState>, flushEvery = 3) {
  const fake = fakeIo();
  const outcomes: ArizeBatchOutcome[] = [];
  const flusher = createResultsFlusher(
    {
      experimentId: 'exp',
      experimentName: 'exp',
      ownerWorkflowId: 'experiment/exp',
      flushEvery,
      state: { source: { kind: 'local' }, ...state } as CarriedState,
      onArizeBatch: (outcome) => outcomes.push(outcome),
      progress: () => '2 of 9 done',
    },
    fake.io,
  );
  return { flusher, outcomes, ...fake };
}

const arizeState = (over: Partial<NonNullable<CarriedState['arize']>> = {}): Partial<CarriedState> => ({
  source: { kind: 'arize', datasetId: 'ds-1' } as CarriedState['source'],
  arize: { datasetId: 'ds-1', uploaded: 0, notUploaded: 0, ...over },
});

test('a full batch is due at once; one batch is in flight at a time; the rest waits for the next', async () => {
  const { flusher, stored } = flusherWith({ storeTaskQueue: 'store-q' });
  for (let n = 1; n <= 7; n++) flusher.add(record(n));
  expect(flusher.due()).toBe(true);
  flusher.flushIfDue();
  flusher.flushIfDue(); // still in flight: no second batch
  expect(stored.map((s) => s.runs)).toEqual([['e1', 'e2', 'e3']]);
  expect(stored[0]).toMatchObject({ taskQueue: 'store-q', summary: 'store 3 runs · 2 of 9 done' });
  expect(flusher.due()).toBe(false);
  expect(flusher.pending()).toBe(4);
  stored[0]!.deferred.resolve();
  await settle();
  expect(flusher.due()).toBe(true);
  flusher.flushIfDue();
  expect(stored.map((s) => s.runs)).toEqual([['e1', 'e2', 'e3'], ['e4', 'e5', 'e6']]);
});

test('a partial batch waits for the interval, which is armed once', async () => {
  const { flusher, stored, timers } = flusherWith({});
  flusher.add(record(1));
  expect(flusher.due()).toBe(false);
  flusher.flushIfDue();
  flusher.flushIfDue();
  expect(stored).toHaveLength(0);
  expect(timers).toHaveLength(1);
  timers[0]!();
  await settle();
  expect(flusher.due()).toBe(true);
  flusher.flushIfDue();
  expect(stored.map((s) => s.runs)).toEqual([['e1']]);
});

test('drain sends everything, in batches of flushEvery, in order', async () => {
  const { flusher, stored } = flusherWith({}, 2);
  for (let n = 1; n <= 5; n++) flusher.add(record(n));
  const drained = flusher.drain();
  for (let i = 0; i < 3; i++) {
    await settle();
    stored[i]!.deferred.resolve();
  }
  await drained;
  expect(stored.map((s) => s.runs)).toEqual([['e1', 'e2'], ['e3', 'e4'], ['e5']]);
  expect(flusher.pending()).toBe(0);
});

test('a batch cut by cancellation is kept and sent again in the finish; its upload goes as a resend', async () => {
  const { flusher, stored, uploads, outcomes } = flusherWith(arizeState());
  for (let n = 1; n <= 3; n++) flusher.add(record(n));
  const drained = flusher.drain();
  await settle();
  stored[0]!.deferred.reject(new CancelledFailure('cancelled'));
  await settle();
  stored[1]!.deferred.resolve();
  await drained;
  expect(stored.map((s) => s.runs)).toEqual([['e1', 'e2', 'e3'], ['e1', 'e2', 'e3']]);
  expect(uploads).toEqual([{ runs: ['e1', 'e2', 'e3'], resend: true }]);
  expect(outcomes).toEqual([{ kind: 'uploaded', experimentId: 'ax-1', runs: 3 }]);
});

test('while the scope is being cancelled, a cut batch is not retried: drain throws and keeps the runs', async () => {
  const { flusher, stored, forbidRetry } = flusherWith({});
  forbidRetry();
  for (let n = 1; n <= 3; n++) flusher.add(record(n));
  const drained = flusher.drain();
  await settle();
  stored[0]!.deferred.reject(new CancelledFailure('cancelled'));
  await expect(drained).rejects.toBeInstanceOf(CancelledFailure);
  expect(flusher.pending()).toBe(3);
});

test('Arize: the upload follows the store; a refusal is reported, not thrown; after an error, batches are skipped', async () => {
  const { flusher, stored, uploads, outcomes, warnings, failUploads } = flusherWith(arizeState({ experimentId: 'ax-0' }), 2);
  failUploads(ApplicationFailure.nonRetryable('dataset deleted', 'ArizeRejected'));
  for (let n = 1; n <= 2; n++) flusher.add(record(n));
  const first = flusher.drain();
  await settle();
  expect(uploads).toHaveLength(0); // the store first
  stored[0]!.deferred.resolve();
  await first;
  expect(uploads).toEqual([{ runs: ['e1', 'e2'], resend: false, arizeExperimentId: 'ax-0' }]);
  expect(outcomes).toEqual([{ kind: 'failed', error: expect.stringContaining('dataset deleted'), runs: 2 }]);
  expect(warnings).toEqual(['upload to Arize stopped; runs stay in the results store']);

  // The experiment folds the outcome into its state (onArizeBatch); with an error there, no more uploads.
  const skipping = flusherWith(arizeState({ error: 'dataset deleted' }), 2);
  skipping.flusher.add(record(3));
  const second = skipping.flusher.drain();
  await settle();
  skipping.stored[0]!.deferred.resolve();
  await second;
  expect(skipping.uploads).toHaveLength(0);
  expect(skipping.outcomes).toEqual([{ kind: 'skipped', runs: 1 }]);
});

test('a local dataset never reaches Arize', async () => {
  const { flusher, stored, uploads, outcomes } = flusherWith({ arize: { datasetId: 'x', uploaded: 0, notUploaded: 0 } });
  flusher.add(record(1));
  const drained = flusher.drain();
  await settle();
  stored[0]!.deferred.resolve();
  await drained;
  expect(uploads).toHaveLength(0);
  expect(outcomes).toHaveLength(0);
});
