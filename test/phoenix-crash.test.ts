/** A worker SIGKILLed while it sends runs to Phoenix: the next worker finishes, and Phoenix holds every run exactly once. */
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { startPhoenix, type PhoenixServer } from './helpers/phoenix';
import { killAllWorkerProcesses, startWorkerProcess, waitFor } from './helpers/processes';
import { connectTestClient, startTestServer, tempDir, workflowBundleFile } from './helpers/temporal';

const N = 300;
let phoenix: PhoenixServer;
let server: DevServer;
let client: Client;
let dir: string;
let datasetId: string;

beforeAll(async () => {
  dir = tempDir('dxp-phoenix-crash-');
  [phoenix, server] = await Promise.all([startPhoenix(), startTestServer()]);
  const inputs = Array.from({ length: N }, (_, i) => ({ text: `ticket ${i}` }));
  datasetId = (await phoenix.post<{ data: { dataset_id: string } }>('/v1/datasets/upload?sync=true', { action: 'create', name: 'tickets', inputs, outputs: inputs })).data.dataset_id;
  client = await connectTestClient(server);
}, 180_000);

afterAll(async () => {
  await killAllWorkerProcesses();
  await client?.connection.close();
  await server?.stop();
  await phoenix?.stop();
});

interface ExportedRun {
  example_id: string;
  repetition_number: number;
  input: { text: string };
  output: { text: string };
  annotations: { name: string; score: number | null }[];
}

test('a worker killed in the middle of an upload to Phoenix costs no run and duplicates none', async () => {
  const common = {
    address: server.address,
    taskQueue: 'phoenix-crash',
    dataDir: join(dir, 'store'),
    workflowBundle: await workflowBundleFile(),
    ledger: join(dir, 'ledger.jsonl'),
    env: { PHOENIX_BASE_URL: phoenix.baseUrl },
  };
  const workerA = await startWorkerProcess({ ...common, name: 'worker A' });
  const spec = parseSpec({ name: 'px-crash', dataset: { phoenix: { dataset: 'tickets' } }, task: 'echo', evaluators: ['exact-match'], concurrency: 30, flushEvery: 150, taskQueue: 'phoenix-crash' });
  const { handle } = await startExperiment(client, spec, 'phoenix-crash');
  await waitFor(
    async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      return pending.some((a) => a.activityType?.name === 'uploadToPhoenix' && a.lastStartedTime) || undefined;
    },
    { timeoutMs: 180_000, intervalMs: 50, describe: () => `an upload to Phoenix to start; ${workerA.describe()}` },
  );
  await workerA.kill();
  const experimentsAtKill = (await phoenix.get<{ data: { id: string }[] }>(`/v1/datasets/${datasetId}/experiments`)).data;
  const runsAtKill = experimentsAtKill[0] ? (await phoenix.get<{ data: unknown[] }>(`/v1/experiments/${experimentsAtKill[0].id}/runs`)).data.length : 0;
  const workerB = await startWorkerProcess({ ...common, name: 'worker B' });
  const summary = await handle.result();
  expect(workerB.isRunning()).toBe(true);
  expect(summary.runs).toBe(N);
  expect(summary.phoenix).toMatchObject({ uploaded: N, notUploaded: 0 });

  const experiments = (await phoenix.get<{ data: { id: string; name: string }[] }>(`/v1/datasets/${datasetId}/experiments`)).data;
  expect(experiments.map((e) => e.name)).toEqual(['px-crash']);
  const exported = await phoenix.get<ExportedRun[]>(`/v1/experiments/${experiments[0]!.id}/json`);
  expect(exported).toHaveLength(N);
  expect(new Set(exported.map((r) => `${r.example_id}#${r.repetition_number}`)).size).toBe(N);
  for (const run of exported) {
    expect(run.output).toEqual(run.input);
    expect(run.annotations).toEqual([expect.objectContaining({ name: 'exact-match', score: 1 })]);
  }
  // The kill really cut an upload: its activity ran again (attempt 2 or later) on worker B.
  const events = (await handle.fetchHistory()).events ?? [];
  const uploads = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'uploadToPhoenix').map((e) => String(e.eventId)));
  const attempts = events.filter((e) => uploads.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId))).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 1);
  expect(Math.max(...attempts)).toBeGreaterThan(1);
  process.stdout.write(`phoenix crash: worker A killed with ${runsAtKill} of ${N} runs in Phoenix; upload attempts ${attempts.join(', ')}\n`);
}, 10 * 60_000);
