/**
 * The pipeline against a real Phoenix server: a 1,000-example Phoenix dataset (made through its
 * REST API) read completely, and its runs and evaluations sent to one Phoenix experiment, each
 * run linked to its example; `dxp run` refuses a bad Phoenix dataset before anything starts;
 * `dxp export` writes it from the store and from Phoenix.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
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
/** The Phoenix experiment of the first test, exported by the last. */
let questionsExperimentId: string;

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
  questionsExperimentId = experimentId;

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

test('dxp export writes a Phoenix-backed experiment from the results store, and a Phoenix experiment by its id from Phoenix', async () => {
  expect(questionsExperimentId).toBeDefined();
  const fromStore = join(dir, 'from-store.jsonl');
  const stored = await runDxp(['export', 'px-questions', '--out', fromStore], { cwd: dir, env: dxpEnv({ DXP_DATA_DIR: join(dir, 'store') }) });
  expect({ code: stored.code, stderr: stored.stderr }).toEqual({ code: 0, stderr: '' });
  const storeRows = readFileSync(fromStore, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(storeRows).toHaveLength(N);

  const fromPhoenix = join(dir, 'from-phoenix.jsonl');
  const env = dxpEnv({ DXP_DATA_DIR: join(dir, 'empty-store'), PHOENIX_BASE_URL: phoenix.baseUrl });
  const exported = await runDxp(['export', questionsExperimentId, '--out', fromPhoenix], { cwd: dir, env });
  expect({ code: exported.code, stderr: exported.stderr }).toEqual({ code: 0, stderr: '' });
  expect(exported.stdout).toContain(`${N} runs of Phoenix experiment 'px-questions'`);
  const rows = readFileSync(fromPhoenix, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(rows).toHaveLength(N);
  // The same runs as the store's, with the same columns for what both have.
  const storeByExample = new Map(storeRows.map((r) => [r.example_id, r]));
  for (const row of rows) {
    const i = index((row.input as { text: string }).text);
    const same = storeByExample.get(row.example_id);
    expect(same).toBeDefined();
    expect(row['eval.exact-match.score']).toBe(same!['eval.exact-match.score']);
    // Evaluators score failed runs too (a null output matches nothing).
    expect(row['eval.exact-match.score']).toBe(i % 100 === 7 || i % 10 === 0 ? 0 : 1);
    if (i % 100 === 3) expect(row['eval.picky.error']).toContain(`picky gave up on ${i}`);
  }
  const missing = await runDxp(['export', 'RXhwZXJpbWVudDo5OTk=', '--out', join(dir, 'none.jsonl')], { cwd: dir, env });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("no Phoenix experiment with id 'RXhwZXJpbWVudDo5OTk='");
}, 3 * 60_000);
