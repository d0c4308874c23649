/**
 * The pipeline against a real Phoenix server: a 1,000-example Phoenix dataset (made through its
 * REST API) read completely, and its runs and evaluations sent to one Phoenix experiment, each
 * run linked to its example; sending them again stores nothing twice; `dxp run` refuses a bad
 * Phoenix dataset before anything starts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createPhoenixClient, uploadPhoenixRuns } from '../activities/phoenix';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import type { RunRecord } from '../core/records';
import { defineTasks, NonRetryableError } from '../index';
import { experimentWorkflowId } from '../workflows/experiment-contract';
import { dxpEnv, runDxp } from './helpers/cli';
import { startPhoenix, type PhoenixServer } from './helpers/phoenix';
import { connectTestClient, startTestServer, startTestWorker, tempDir, type RunningWorker } from './helpers/temporal';

const N = 1000;
const taskQueue = 'phoenix-test';
let phoenix: PhoenixServer;
let server: DevServer;
let client: Client;
let worker: RunningWorker;
let dir: string;
let datasetId: string;

interface ExportedRun {
  example_id: string;
  repetition_number: number;
  input: { text: string };
  output: unknown;
  error: string | null;
  annotations: { name: string; score: number | null; label: string | null; error: string | null; annotator_kind: string }[];
}

const index = (text: string): number => Number(text.slice(2));

const tasks = defineTasks({
  tasks: {
    // Every hundredth row from 7 fails: a failed run goes to Phoenix with its error.
    'px-echo': (_row, { input }) => {
      const i = index((input as { text: string }).text);
      if (i % 100 === 7) throw new NonRetryableError(`row ${i} refused`);
      return input;
    },
  },
  evaluators: {
    // Every hundredth row from 3 makes the evaluator throw: an errored evaluation.
    picky: ({ output }) => {
      const i = index((output as { text: string }).text);
      if (i % 100 === 3) throw new Error(`picky gave up on ${i}`);
      return { score: i % 2, label: i % 2 ? 'odd' : 'even' };
    },
  },
});

beforeAll(async () => {
  dir = tempDir('dxp-phoenix-');
  [phoenix, server] = await Promise.all([startPhoenix(), startTestServer({ dbFile: join(dir, 'temporal.db') })]);
  const uploaded = await phoenix.post<{ data: { dataset_id: string } }>('/v1/datasets/upload?sync=true', {
    action: 'create',
    name: 'questions',
    inputs: Array.from({ length: N }, (_, i) => ({ text: `q-${i}` })),
    outputs: Array.from({ length: N }, (_, i) => ({ text: i % 10 === 0 ? 'something else' : `q-${i}` })),
    metadata: Array.from({ length: N }, (_, i) => ({ topic: i % 2 ? 'odd' : 'even' })),
  });
  datasetId = uploaded.data.dataset_id;
  // A namesake's prefix: names must match exactly.
  await phoenix.post('/v1/datasets/upload?sync=true', { action: 'create', name: 'questions-old', inputs: [{ text: 'q-0' }], outputs: [{}] });
  client = await connectTestClient(server);
  worker = await startTestWorker(server, { dataDir: join(dir, 'store'), taskQueue, modules: [tasks], env: { PHOENIX_BASE_URL: phoenix.baseUrl } });
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
  await phoenix?.stop();
});

test(`a Phoenix dataset of ${N} examples becomes one Phoenix experiment with exactly ${N} runs and their evaluations`, async () => {
  const spec = parseSpec({ name: 'px-questions', dataset: { phoenix: { dataset: 'questions' } }, task: 'px-echo', evaluators: ['exact-match', 'picky'], concurrency: 40, flushEvery: 100, taskQueue });
  const started = Date.now();
  const { handle } = await startExperiment(client, spec, taskQueue);
  const summary = await handle.result();
  const seconds = (Date.now() - started) / 1000;
  expect(summary).toMatchObject({ runs: N, succeeded: N - 10, failed: 10 });
  expect(summary.phoenix).toMatchObject({ datasetId, uploaded: N, notUploaded: 0 });
  const experimentId = summary.phoenix!.experimentId!;

  const experiments = (await phoenix.get<{ data: { id: string; name: string; successful_run_count: number; failed_run_count: number; metadata: Record<string, unknown> }[] }>(`/v1/datasets/${datasetId}/experiments`)).data;
  expect(experiments.map((e) => e.name)).toEqual(['px-questions']);
  expect(experiments[0]).toMatchObject({ id: experimentId, successful_run_count: N - 10, failed_run_count: 10, metadata: { 'dxp.workflow_id': handle.workflowId } });

  const exported = await phoenix.get<ExportedRun[]>(`/v1/experiments/${experimentId}/json`);
  expect(exported).toHaveLength(N);
  expect(new Set(exported.map((r) => r.example_id)).size).toBe(N);
  for (const run of exported) {
    const i = index(run.input.text);
    const byName = Object.fromEntries(run.annotations.map((a) => [a.name, a]));
    expect(run.repetition_number).toBe(1);
    expect(Object.keys(byName).sort()).toEqual(['exact-match', 'picky']);
    expect(byName['exact-match']?.annotator_kind).toBe('CODE');
    if (i % 100 === 7) {
      expect(run).toMatchObject({ output: null, error: expect.stringContaining(`row ${i} refused`) });
      continue;
    }
    // Linked to its own example: the task echoed that example's input.
    expect(run).toMatchObject({ output: { text: run.input.text }, error: null });
    expect(byName['exact-match']).toMatchObject({ score: i % 10 === 0 ? 0 : 1, error: null });
    if (i % 100 === 3) expect(byName.picky).toMatchObject({ score: null, error: expect.stringContaining(`picky gave up on ${i}`) });
    else expect(byName.picky).toMatchObject({ score: i % 2, label: i % 2 ? 'odd' : 'even', error: null });
  }
  process.stdout.write(`phoenix pipeline: ${N} examples, experiment and upload in ${seconds.toFixed(1)} s\n`);
}, 10 * 60_000);

test('the uploader sends 1,000 runs with their evaluations once: sent again, Phoenix keeps them as they are', async () => {
  const phoenixClient = createPhoenixClient({ baseUrl: phoenix.baseUrl });
  try {
    const versionId = (await phoenixClient.listVersions(datasetId))[0]!;
    const examples = await phoenixClient.listExamples(datasetId, versionId);
    expect(examples).toHaveLength(N);
    const runs: RunRecord[] = examples.map((ex, k) => ({
      exampleId: ex.id,
      repetition: 1,
      output: { k },
      ...(k % 250 === 0 ? { error: 'failed on purpose', output: null } : {}),
      evaluations: { size: { score: k } },
      steps: [],
      startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, k % 60)).toISOString(),
      durationMs: 20,
      workflowId: `w-${k}`,
    }));
    const input = { experimentName: 'direct', datasetId, versionId, repetitions: 1, ownerWorkflowId: 'experiment/direct', runs };
    const t0 = Date.now();
    const first = await uploadPhoenixRuns(phoenixClient, input);
    const firstMs = Date.now() - t0;
    expect(first).toMatchObject({ appended: N, alreadyStored: 0 });
    // A retry that knows no experiment id: it adopts ours rather than make a second one.
    const again = await uploadPhoenixRuns(phoenixClient, input);
    expect(again).toEqual({ phoenixExperimentId: first.phoenixExperimentId, appended: 4, alreadyStored: N - 4 }); // failed runs are updated in place
    const stored = await phoenixClient.listRuns(first.phoenixExperimentId);
    expect(stored).toHaveLength(N);
    expect(new Set(stored.map((r) => r.dataset_example_id)).size).toBe(N);
    const exported = await phoenix.get<ExportedRun[]>(`/v1/experiments/${first.phoenixExperimentId}/json`);
    expect(exported.flatMap((r) => r.annotations)).toHaveLength(N);
    process.stdout.write(`phoenix upload: ${N} runs + ${N} evaluations in ${(firstMs / 1000).toFixed(1)} s (${Math.round(N / (firstMs / 1000))} runs/s)\n`);
  } finally {
    await phoenixClient.close();
  }
}, 5 * 60_000);

test('dxp run refuses a Phoenix dataset without a name, an unknown one and an unknown version, before anything starts', async () => {
  const env = dxpEnv({ TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace, PHOENIX_BASE_URL: phoenix.baseUrl });
  const cases: [string, unknown, RegExp][] = [
    ['px-bad-empty', {}, /dataset\.phoenix\.dataset: required: the Phoenix dataset name or id/],
    ['px-bad-name', { dataset: 'questionz' }, /dataset\.phoenix: .*no dataset named "questionz"/],
    ['px-bad-version', { dataset: 'questions', version: 'RGF0YXNldFZlcnNpb246OTk=' }, /dataset\.phoenix: Phoenix dataset 'questions' has no version 'RGF0YXNldFZlcnNpb246OTk='/],
  ];
  for (const [name, phoenixRef, reason] of cases) {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify({ name, dataset: { phoenix: phoenixRef }, task: 'echo', taskQueue }));
    const result = await runDxp(['run', file], { cwd: dir, env });
    expect({ name, code: result.code }).toEqual({ name, code: 2 });
    expect(result.stderr).toMatch(reason);
    await expect(client.workflow.getHandle(experimentWorkflowId(name)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  }
}, 3 * 60_000);
