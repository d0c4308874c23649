/**
 * A worker SIGKILLed while it sends runs to Phoenix: the next worker finishes, and Phoenix holds
 * every run exactly once. Then `dxp log --phoenix` on the surviving worker.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { dxpEnv, runDxp } from './helpers/cli';
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

test('dxp log --phoenix sends a results table made elsewhere to a Phoenix experiment, rejecting a row of no example', async () => {
  // Worker B of the test above still polls the queue.
  const examples = (await phoenix.get<{ data: { examples: { id: string; input: { text: string } }[] } }>(`/v1/datasets/${datasetId}/examples`)).data.examples.slice(0, 40);
  const table = join(dir, 'logged.jsonl');
  const rows = [...examples.map((ex, i) => ({ example_id: ex.id, output: ex.input.text, score: i % 2 })), { example_id: 'RGF0YXNldEV4YW1wbGU6OTk5OTk=', output: 'lost', score: 1 }];
  writeFileSync(table, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const env = dxpEnv({ TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace, PHOENIX_BASE_URL: phoenix.baseUrl });
  const args = ['log', table, '--phoenix', '--dataset', 'tickets', '--name', 'px-logged', '--eval', 'parity:score=score', '--task-queue', 'phoenix-crash', '--wait'];
  const logged = await runDxp(args, { cwd: dir, env });
  expect({ code: logged.code, stderr: logged.stderr }).toEqual({ code: 0, stderr: '' });
  expect(logged.stdout).toContain('Logged px-logged: 41 rows read, 40 runs in Phoenix experiment');
  expect(logged.stdout).toMatch(/row 41: unknown example_id RGF0YXNldEV4YW1wbGU6OTk5OTk= \(no such example in Phoenix dataset tickets\)/);
  const experiment = (await phoenix.get<{ data: { id: string; name: string }[] }>(`/v1/datasets/${datasetId}/experiments`)).data.find((e) => e.name === 'px-logged');
  const exported = await phoenix.get<{ example_id: string; output: unknown; annotations: { name: string; score: number }[] }[]>(`/v1/experiments/${experiment!.id}/json`);
  expect(exported).toHaveLength(40);
  const byExample = new Map(exported.map((r) => [r.example_id, r]));
  examples.forEach((ex, i) => {
    expect(byExample.get(ex.id)).toMatchObject({ output: ex.input.text, annotations: [{ name: 'parity', score: i % 2 }] });
  });
}, 3 * 60_000);
