/**
 * The results flusher's Phoenix path without a server (its FlusherIo seam): each batch goes to
 * the store, then to Phoenix with the pinned version, repetitions and the LLM evaluator columns;
 * a refusal is reported, never thrown, and later batches skip Phoenix; Arize is never called.
 */
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import type { RunRecord, TaskPlan } from '../core/records';
import type { CarriedState } from '../workflows/experiment-contract';
import type { ArizeBatchOutcome } from '../workflows/experiment-state';
import { initialState, onArizeBatch } from '../workflows/experiment-state';
import { createResultsFlusher, type FlusherIo } from '../workflows/results-flusher';
import type { PhoenixUploadInput } from '../activities/phoenix';

const record = (n: number): RunRecord => ({ exampleId: `e${n}`, repetition: 1, workflowId: `w${n}` }) as unknown as RunRecord;
const plan = {
  task: 't',
  steps: [],
  evaluators: [
    { column: 'exact', use: 'exact-match', local: true, timeout: '1m', retry: {} },
    { column: 'judge', use: 'judge', taskQueue: 'q-model', timeout: '1m', retry: {} },
  ],
} as TaskPlan;
const source = { kind: 'phoenix', datasetId: 'ds-1', datasetName: 'questions', versionId: 'v-2', binding: {} } as const;

function flusher(phoenix: CarriedState['phoenix'], fail?: unknown) {
  const order: string[] = [];
  const uploads: PhoenixUploadInput[] = [];
  const outcomes: ArizeBatchOutcome[] = [];
  const warnings: string[] = [];
  const io: FlusherIo = {
    recordRuns: async (_options, input) => void order.push(`store ${input.runs.length}`),
    uploadToArize: () => Promise.reject(new Error('Arize must not be called for a Phoenix dataset')),
    uploadToPhoenix: async (input) => {
      order.push(`phoenix ${input.runs.length}`);
      uploads.push(input);
      if (fail !== undefined) throw fail;
      return { phoenixExperimentId: 'px-1', appended: input.runs.length - 1, alreadyStored: 1 };
    },
    interval: () => new Promise<void>(() => undefined),
    mayRetry: () => true,
    warn: (message) => warnings.push(message),
  };
  const state = { source, plan, ...(phoenix ? { phoenix } : {}) } as CarriedState;
  const f = createResultsFlusher(
    { experimentId: 'exp', experimentName: 'exp', ownerWorkflowId: 'experiment/exp', flushEvery: 2, state, repetitions: 3, onArizeBatch: () => undefined, onPhoenixBatch: (o) => outcomes.push(o) },
    io,
  );
  return { f, order, uploads, outcomes, warnings };
}

test('each batch goes to the store, then to Phoenix with the pinned version, the repetitions and the LLM columns', async () => {
  const { f, order, uploads, outcomes } = flusher({ datasetId: 'ds-1', datasetVersionId: 'v-2', uploaded: 0, notUploaded: 0 });
  for (let n = 1; n <= 3; n++) f.add(record(n));
  await f.drain();
  expect(order).toEqual(['store 2', 'phoenix 2', 'store 1', 'phoenix 1']);
  expect(uploads[0]).toMatchObject({ experimentName: 'exp', datasetId: 'ds-1', versionId: 'v-2', repetitions: 3, ownerWorkflowId: 'experiment/exp', llmEvaluators: ['judge'] });
  expect(uploads[0]).not.toHaveProperty('phoenixExperimentId');
  expect(outcomes).toEqual([
    { kind: 'uploaded', experimentId: 'px-1', runs: 2 },
    { kind: 'uploaded', experimentId: 'px-1', runs: 1 },
  ]);
});

test('a refused upload is reported and warned, never thrown; with the error in the state, batches skip Phoenix', async () => {
  const refusal = new ActivityFailure('activity failed', 'uploadToPhoenix', '1', RetryState.NON_RETRYABLE_FAILURE, 'w', ApplicationFailure.nonRetryable('Phoenix POST /v1/experiments/x/runs failed: 404 Not Found', 'PhoenixRejected'));
  const failing = flusher({ datasetId: 'ds-1', uploaded: 0, notUploaded: 0, experimentId: 'px-1' }, refusal);
  failing.f.add(record(1));
  await failing.f.drain();
  expect(failing.uploads[0]?.phoenixExperimentId).toBe('px-1');
  expect(failing.outcomes).toEqual([{ kind: 'failed', error: expect.stringContaining('404 Not Found'), runs: 1 }]);
  expect(failing.warnings).toEqual(['upload to Phoenix stopped; runs stay in the results store']);

  const skipping = flusher({ datasetId: 'ds-1', uploaded: 0, notUploaded: 0, error: '404' });
  skipping.f.add(record(2));
  await skipping.f.drain();
  expect(skipping.order).toEqual(['store 1']);
  expect(skipping.outcomes).toEqual([{ kind: 'skipped', runs: 1 }]);
});

test('a Phoenix dataset starts its counters unless it is a dry run; outcomes fold into them', () => {
  const prepared = { plan, source, total: 3 };
  expect(initialState(prepared, { startedAt: 't', uploadToArize: true }).phoenix).toEqual({ datasetId: 'ds-1', datasetVersionId: 'v-2', uploaded: 0, notUploaded: 0 });
  expect(initialState(prepared, { startedAt: 't', uploadToArize: false })).not.toHaveProperty('phoenix');
  expect(initialState(prepared, { startedAt: 't', uploadToArize: true })).not.toHaveProperty('arize');
  const counters = { datasetId: 'ds-1', uploaded: 0, notUploaded: 0 };
  onArizeBatch(counters, { kind: 'uploaded', experimentId: 'px-1', runs: 2 });
  onArizeBatch(counters, { kind: 'failed', error: 'down', runs: 1 });
  onArizeBatch(counters, { kind: 'skipped', runs: 4 });
  expect(counters).toEqual({ datasetId: 'ds-1', uploaded: 2, notUploaded: 5, experimentId: 'px-1', error: 'down' });
});
