/**
 * The pipeline against a loopback Arize AX that follows the published contract: an Arize dataset
 * read across pages, runs uploaded in batches, exactly once under every fault the fake can
 * script, `dxp upload` idempotent, and no API key anywhere in Temporal, nor in the spans the
 * traced worker exports (caught on the wire by a loopback OTLP receiver).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOW_TRACING_MODULES } from '../workers/tracing';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createArizeClient } from '../activities/arize';
import { OWNER_COLUMN, RUN_KEY_COLUMN } from '../activities/arize/runs';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { uploadCommand } from '../client/commands/upload';
import { checkArizeTarget } from '../client/arize-cli';
import type { ExperimentSpecInput } from '../core/spec';
import { ArizeFake } from './fakes/arize';
import { connectTestClient, recordHistory, startTestServer, startTestWorker, tempDir, type RunningWorker } from './helpers/temporal';

const CANARY_KEY = 'ak-canary-9f8e7d6c5b4a39281706f5e4d3c2b1a0';
// 1,000 in CI (three pages of examples, ten upload batches: every code path); the acceptance run
// of the issue uses 2,500: `npm run test:arize-acceptance`.
const N = Number(process.env.DXP_ARIZE_E2E_EXAMPLES ?? 1000);

let fake: ArizeFake;
let baseUrl: string;
let server: DevServer;
let client: Client;
let worker: RunningWorker;
let dir: string;
let datasetId: string;
const taskQueue = 'arize-test';
/** Every OTLP export body the worker sent (protobuf: its strings are there as UTF-8 bytes). */
const exports: Buffer[] = [];
let otlp: Server;

/** Takes OTLP/HTTP exports and answers each with an empty (valid) ExportTraceServiceResponse. */
async function startOtlpReceiver(): Promise<string> {
  otlp = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      exports.push(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => otlp.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(otlp.address() as { port: number }).port}/v1/traces`;
}

beforeAll(async () => {
  dir = tempDir('dxp-arize-');
  fake = new ArizeFake({ apiKey: CANARY_KEY });
  ({ baseUrl } = await fake.start());
  const space = fake.seedSpace('research');
  fake.seedSpace('research-archive'); // a substring match: names must match exactly
  const examples = Array.from({ length: N }, (_, i) => ({
    'attributes.input.value': `question ${i}`,
    'attributes.output.value': i % 10 === 0 ? 'something else' : `question ${i}`,
    'attributes.metadata': { topic: i % 2 ? 'odd' : 'even' },
  }));
  datasetId = fake.seedDataset(space.id, 'questions', examples).id;
  fake.seedDataset(space.id, 'questions-old', examples.slice(0, 3));
  server = await startTestServer({ dbFile: join(dir, 'temporal.db') });
  client = await connectTestClient(server);
  process.env.ARIZE_API_KEY = CANARY_KEY; // for the in-process `dxp upload` below
  process.env.ARIZE_BASE_URL = baseUrl;
  process.env.ARIZE_SPACE = 'research';
  process.env.DXP_DATA_DIR = join(dir, 'store');
  const tracesUrl = await startOtlpReceiver();
  worker = await startTestWorker(server, {
    dataDir: join(dir, 'store'),
    taskQueue,
    env: { ARIZE_API_KEY: CANARY_KEY, ARIZE_BASE_URL: baseUrl, ARIZE_SPACE: 'research' },
    serviceEnv: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: tracesUrl },
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), workflowInterceptorModules: WORKFLOW_TRACING_MODULES, logger: new DefaultLogger('WARN') }),
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
  await fake?.stop();
  otlp?.close();
  delete process.env.ARIZE_API_KEY;
  delete process.env.ARIZE_BASE_URL;
  delete process.env.ARIZE_SPACE;
  delete process.env.DXP_DATA_DIR;
});

function spec(name: string, extra: Partial<ExperimentSpecInput> = {}) {
  return parseSpec({ name, dataset: { arize: { dataset: 'questions' } }, task: 'echo', evaluators: ['exact-match'], concurrency: 40, flushEvery: Math.max(10, Math.floor(N / 10)), taskQueue, ...extra });
}

test(`an Arize dataset of ${N} examples becomes one experiment with exactly ${N} runs under every fault`, async () => {
  fake.fault('GET /v2/datasets/:id/examples', { kind: '429', retryAfterSeconds: 1 }, { kind: 'reset' }, { kind: '503' });
  fake.fault('POST /v2/experiments', { kind: 'commit-then-drop' });
  fake.fault(
    'POST /v2/experiments/:id/runs',
    { kind: '503' },
    { kind: 'commit-then-500' },
    { kind: '429', retryAfterSeconds: 2 },
    { kind: 'reset' },
    { kind: 'commit-then-drop' },
    { kind: 'slow', ms: 1500 },
    { kind: '500' },
  );
  const { handle } = await startExperiment(client, spec('faulty'), taskQueue);
  const summary = await handle.result();
  expect(fake.pendingFaults()).toBe(0); // every scripted fault was hit

  const experiments = fake.experiments().filter((e) => e.name === 'faulty');
  expect(experiments).toHaveLength(1);
  const runs = fake.runs(experiments[0]!.id);
  expect(runs).toHaveLength(N);
  expect(new Set(runs.map((r) => r.example_id)).size).toBe(N);
  expect(summary.arize).toMatchObject({ experimentId: experiments[0]!.id, uploaded: N, notUploaded: 0 });

  const run = runs.find((r) => (r as Record<string, unknown>)[RUN_KEY_COLUMN] !== undefined && r.output === 'question 3') as Record<string, unknown>;
  expect(run).toMatchObject({ 'eval.exact-match.score': 1, 'eval.exact-match.label': 'True', error: null, [OWNER_COLUMN]: 'experiment/faulty' });
  expect(typeof run.latency_ms).toBe('number');
  const wrong = runs.filter((r) => (r as Record<string, unknown>)['eval.exact-match.score'] === 0);
  expect(wrong).toHaveLength(Math.ceil(N / 10));
}, 30 * 60_000);

test('dxp upload again finds every run already there and appends nothing', async () => {
  const before = fake.runs(fake.experiments().find((e) => e.name === 'faulty')!.id).length;
  const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await uploadCommand('faulty', {})).toBe(0);
    expect(String(write.mock.calls.at(-1)?.[0])).toMatch(new RegExp(`0 runs appended, ${N} already there`));
  } finally {
    write.mockRestore();
  }
  expect(fake.runs(fake.experiments().find((e) => e.name === 'faulty')!.id)).toHaveLength(before);
});

test('an experiment name taken by someone else is never written to; the runs stay in the local store', async () => {
  const other = createArizeClient({ baseUrl, apiKey: CANARY_KEY });
  const [firstExample] = (await other.listExamples(datasetId, { limit: 1 })).items;
  await other.createExperiment({ name: 'taken', datasetId, runs: [{ example_id: firstExample!.id, output: 'theirs' }] });
  await other.close();
  const { handle } = await startExperiment(client, spec('taken', { dryRun: false, sample: { count: 20, seed: 1 } }), taskQueue);
  const summary = await handle.result();
  expect(summary.runs).toBe(20);
  expect(summary.arize).toMatchObject({ uploaded: 0, notUploaded: 20 });
  expect(summary.arize?.error).toMatch(/already exists .* not made by this experiment/);
  expect(fake.runs(fake.experiments().find((e) => e.name === 'taken')!.id)).toHaveLength(1);
  await recordHistory(client, 'experiment/taken', 'experiment-arize-upload-refused.json');

  // `dxp run` refuses such a name before anything starts (exit 2), and accepts our own names.
  const cli = createArizeClient({ baseUrl, apiKey: CANARY_KEY });
  try {
    const dataset = { arize: { dataset: 'questions', space: 'research' } };
    await expect(checkArizeTarget(cli, dataset, 'taken', 'experiment/taken')).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/not made by this pipeline/) });
    await expect(checkArizeTarget(cli, dataset, 'faulty', 'experiment/faulty')).resolves.toEqual({ datasetId });
    await expect(checkArizeTarget(cli, dataset, 'brand-new', 'experiment/brand-new')).resolves.toEqual({ datasetId });
  } finally {
    await cli.close();
  }
});

test('a dry run uploads nothing', async () => {
  const { handle } = await startExperiment(client, spec('dry', { dryRun: 5 }), taskQueue);
  const summary = await handle.result();
  expect(summary.runs).toBe(5);
  expect(summary.arize).toBeUndefined();
  expect(fake.experiments().find((e) => e.name === 'dry')).toBeUndefined();
});

test('the API key is nowhere in Temporal: not in any history, not in the server database', async () => {
  const histories: string[] = [];
  for await (const execution of client.workflow.list()) {
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
    histories.push(historyToJSON(await handle.fetchHistory()));
  }
  expect(histories.length).toBeGreaterThan(N);
  for (const history of histories) expect(history).not.toContain(CANARY_KEY);
  const db = [join(dir, 'temporal.db'), join(dir, 'temporal.db-wal')].map((f) => {
    try {
      return readFileSync(f).toString('latin1');
    } catch {
      return '';
    }
  });
  expect(db[0]!.length).toBeGreaterThan(0);
  for (const bytes of db) expect(bytes).not.toContain(CANARY_KEY);
  // The canary is really in use: the fake refuses any other key.
  expect(fake.requestLog().every((entry) => entry.status !== 401)).toBe(true);
});

test('the API key is on no exported span, the upload activity\'s among them', async () => {
  await worker.stop(); // flushes the span pipeline; the tests before this one are done with it
  const sent = Buffer.concat(exports);
  expect(sent.includes('RunActivity:uploadToArize')).toBe(true);
  expect(sent.includes('RunWorkflow:example')).toBe(true);
  expect(sent.includes(CANARY_KEY)).toBe(false);
  // The traced runs link to their traces in Arize, in the columns Arize's SDK writes; each trace
  // id went out in the exported spans (protobuf carries it as 16 raw bytes).
  const runs = fake.runs(fake.experiments().find((e) => e.name === 'faulty')!.id);
  expect(runs.length).toBeGreaterThan(0);
  for (const run of runs.slice(0, 50)) {
    const id = (run as Record<string, unknown>)['result.trace.id'];
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect((run as Record<string, unknown>)['result.trace.timestamp']).toEqual(expect.any(Number));
    expect(sent.includes(Buffer.from(String(id), 'hex'))).toBe(true);
  }
});
