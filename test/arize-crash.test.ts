/** A worker SIGKILLed while it uploads to Arize: the next worker finishes, and Arize holds every run exactly once. */
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { ArizeFake } from './fakes/arize';
import { killAllWorkerProcesses, startWorkerProcess, waitFor } from './helpers/processes';
import { connectTestClient, startTestServer, tempDir, workflowBundleFile } from './helpers/temporal';

const N = 300;
let fake: ArizeFake;
let server: DevServer;
let client: Client;
let dir: string;
let baseUrl: string;

beforeAll(async () => {
  dir = tempDir('dxp-arize-crash-');
  fake = new ArizeFake();
  ({ baseUrl } = await fake.start());
  const space = fake.seedSpace('ops');
  fake.seedDataset(space.id, 'tickets', Array.from({ length: N }, (_, i) => ({ input: `ticket ${i}`, expected: `ticket ${i}` })));
  server = await startTestServer();
  client = await connectTestClient(server);
});

afterAll(async () => {
  await killAllWorkerProcesses();
  await client?.connection.close();
  await server?.stop();
  await fake?.stop();
});

test('a worker killed in the middle of creating the Arize experiment costs no run and duplicates none', async () => {
  const common = {
    address: server.address,
    taskQueue: 'arize-crash',
    dataDir: join(dir, 'store'),
    workflowBundle: await workflowBundleFile(),
    ledger: join(dir, 'ledger.jsonl'),
    env: { ARIZE_API_KEY: fake.apiKey, ARIZE_BASE_URL: baseUrl, ARIZE_SPACE: 'ops' },
  };
  const workerA = await startWorkerProcess({ ...common, name: 'worker A' });
  // The create is slow: the worker dies while it waits, and the server commits it anyway.
  fake.fault('POST /v2/experiments', { kind: 'slow', ms: 4000 });
  const spec = parseSpec({ name: 'crash-upload', dataset: { arize: { dataset: 'tickets' } }, task: 'echo', evaluators: ['exact-match'], concurrency: 20, flushEvery: 100, taskQueue: 'arize-crash' });
  const { handle } = await startExperiment(client, spec, 'arize-crash');
  await waitFor(
    async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      return pending.some((a) => a.activityType?.name === 'uploadToArize' && a.lastStartedTime) || undefined;
    },
    { timeoutMs: 180_000, intervalMs: 100, describe: () => `an upload to start; ${workerA.describe()}` },
  );
  await workerA.kill();
  const workerB = await startWorkerProcess({ ...common, name: 'worker B' });
  const summary = await handle.result();
  expect(workerB.isRunning()).toBe(true);
  expect(summary.runs).toBe(N);
  const experiments = fake.experiments().filter((e) => e.name === 'crash-upload');
  expect(experiments).toHaveLength(1);
  const runs = fake.runs(experiments[0]!.id);
  expect(runs).toHaveLength(N);
  expect(new Set(runs.map((r) => r.example_id)).size).toBe(N);
  expect(summary.arize).toMatchObject({ uploaded: N, notUploaded: 0 });
  // The create really was cut off: worker A never got its answer, worker B adopted the experiment.
  expect(fake.requestLog().filter((e) => e.route === 'POST /v2/experiments')).toHaveLength(1);
}, 10 * 60_000);
