/**
 * `dxp upload` from the PostgreSQL results store: Arize refused the runs while the experiment ran
 * (a key that may read the dataset but not write experiments), they stayed in the shared store,
 * and the CLI, on a machine whose own data folder is empty, sends every one to Arize exactly once.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { resultsStoreConfig } from '../activities/sinks/store-config';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { ArizeFake } from './fakes/arize';
import { runDxp } from './helpers/cli';
import { startTestPostgres, storedRuns, type TestPostgres } from './helpers/cluster';
import { connectTestClient, startTestServer, startTestWorker, tempDir, type RunningWorker } from './helpers/temporal';

const KEY = 'ak-upload-pg-canary-5e4d3c2b1a09';
const N = 30;
const NAME = 'upload-from-pg';
const taskQueue = 'upload-pg';

let fake: ArizeFake;
let baseUrl: string;
let server: DevServer;
let pg: TestPostgres;
let client: Client;
let worker: RunningWorker;
let dir: string;

beforeAll(async () => {
  dir = tempDir('dxp-upload-pg-');
  fake = new ArizeFake({ apiKey: KEY });
  ({ baseUrl } = await fake.start());
  const space = fake.seedSpace('research');
  fake.seedDataset(
    space.id,
    'questions',
    Array.from({ length: N }, (_, i) => ({ 'attributes.input.value': `question ${i}`, 'attributes.output.value': i % 3 === 0 ? 'other' : `question ${i}` })),
  );
  [server, pg] = await Promise.all([startTestServer({ dbFile: join(dir, 'temporal.db') }), startTestPostgres()]);
  client = await connectTestClient(server);
  const workerDisk = join(dir, 'worker-disk');
  worker = await startTestWorker(server, {
    dataDir: workerDisk,
    taskQueue,
    env: { ARIZE_API_KEY: KEY, ARIZE_BASE_URL: baseUrl, ARIZE_SPACE: 'research' },
    settings: { resultsStore: resultsStoreConfig({ DXP_RESULTS_URL: pg.resultsUrl }, workerDisk) },
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
  await pg?.stop();
  await fake?.stop();
}, 60_000);

/** The CLI as another machine runs it: its own empty data folder, the shared database, the Arize key. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const ownDisk = join(dir, 'cli-disk');
  mkdirSync(ownDisk, { recursive: true });
  return { PATH: process.env.PATH, HOME: dir, DXP_DATA_DIR: ownDisk, ARIZE_API_KEY: KEY, ARIZE_BASE_URL: baseUrl, ARIZE_SPACE: 'research', ...extra };
}

test('runs Arize refused stay in PostgreSQL; dxp upload sends each once from there, and again appends nothing', async () => {
  fake.fault('POST /v2/experiments', { kind: '403' });
  const spec = parseSpec({ name: NAME, dataset: { arize: { dataset: 'questions' } }, task: 'echo', evaluators: ['exact-match'], concurrency: 10, flushEvery: 10, taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  const summary = await handle.result();
  expect(fake.pendingFaults()).toBe(0);
  expect(summary).toMatchObject({ runs: N, succeeded: N, arize: { uploaded: 0, notUploaded: N } });
  expect(summary.arize?.error).toMatch(/403|Forbidden/);
  expect(fake.experiments().filter((e) => e.name === NAME)).toHaveLength(0);

  const stored = await storedRuns(pg.resultsUrl, NAME);
  expect(stored).toHaveLength(N);

  // Without the database the CLI looks only in its own empty folder, and says so.
  const nowhere = await runDxp(['upload', NAME], { cwd: dir, env: cliEnv() });
  expect(nowhere.code).toBe(2);
  expect(nowhere.stderr).toMatch(new RegExp(`no stored experiment '${NAME}'`));

  const first = await runDxp(['upload', NAME], { cwd: dir, env: cliEnv({ DXP_RESULTS_URL: pg.resultsUrl }) });
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(new RegExp(`${N} runs appended, 0 already there`));
  const experiments = fake.experiments().filter((e) => e.name === NAME);
  expect(experiments).toHaveLength(1);
  const runs = fake.runs(experiments[0]!.id);
  expect(runs).toHaveLength(N);
  expect(new Set(runs.map((r) => r.example_id)).size).toBe(N);
  // What Arize holds is what the store holds, output for output.
  const byExample = new Map(stored.map((r) => [r.exampleId, r]));
  for (const run of runs) expect(run.output).toBe(byExample.get(String(run.example_id))?.output);
  expect(runs.filter((r) => (r as Record<string, unknown>)['eval.exact-match.score'] === 0)).toHaveLength(Math.ceil(N / 3));

  const again = await runDxp(['upload', NAME], { cwd: dir, env: cliEnv({ DXP_RESULTS_URL: pg.resultsUrl }) });
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(new RegExp(`0 runs appended, ${N} already there`));
  expect(fake.runs(experiments[0]!.id)).toHaveLength(N);
}, 300_000);
