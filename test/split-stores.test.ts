/**
 * Workers on several machines: `dxp worker` processes, each with its own data folder (no shared
 * disk). Each stores the runs it recorded in its own folder; the experiment's summary, kept by the
 * experiment workflow, still counts every run once.
 */
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { readStoredRuns } from '../client/commands/demo-agent';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { killAllWorkerProcesses, resultWithin, startWorkerProcess, waitFor } from './helpers/processes';
import { connectTestClient, recordHistory, startTestServer, tempDir, workflowBundleFile, writeJsonl } from './helpers/temporal';

const EXAMPLES = 40;
let server: DevServer;
let client: Client;
let dir: string;

beforeAll(async () => {
  dir = tempDir('dxp-split-');
  server = await startTestServer();
  client = await connectTestClient(server);
});

afterAll(async () => {
  await killAllWorkerProcesses();
  await client?.connection.close();
  await server?.stop();
});

test('workers with their own disks, one killed mid-run: every run stored once somewhere, and the summary counts them all', async () => {
  const taskQueue = 'split-stores';
  const bundle = await workflowBundleFile();
  const disks = ['a', 'b', 'c'].map((m) => join(dir, `machine-${m}`));
  const worker = (i: number) =>
    startWorkerProcess({ name: `worker ${'abc'[i]}`, address: server.address, taskQueue, dataDir: disks[i]!, workflowBundle: bundle, ledger: join(dir, 'ledger.jsonl') });
  const workers = await Promise.all([worker(0), worker(1)]);
  const rows = Array.from({ length: EXAMPLES }, (_, i) => ({ id: `ex${String(i).padStart(2, '0')}`, ms: 150 }));
  const spec = parseSpec({
    name: 'split',
    dataset: { path: writeJsonl(dir, 'rows.jsonl', rows) },
    task: 'ledgered',
    evaluators: ['json-parses'],
    concurrency: 4,
    flushEvery: 2,
    timeout: '3s',
    retry: { initialInterval: '200ms' },
    taskQueue,
  });
  const { handle } = await startExperiment(client, spec, taskQueue);
  // The experiment's store calls run where its workflow is cached: kill that worker once it has
  // stored some, so the rest is stored by the others, on their own disks.
  const first = await waitFor(() => disks.findIndex((d) => readStoredRuns(d, 'split').length >= 6) + 1 || undefined, { timeoutMs: 60_000, describe: () => workers.map((w) => w.describe()).join('; ') });
  await workers[first - 1]!.kill();
  await worker(2);
  const summary = await resultWithin(handle.result(), 90_000, client, handle.workflowId, () => 'the experiment did not finish after the kill');

  const perDisk = disks.map((d) => readStoredRuns(d, 'split'));
  expect(perDisk.filter((runs) => runs.length > 0).length).toBeGreaterThanOrEqual(2);
  // Once each: a batch stored on one disk is never stored on another.
  expect(perDisk.flat().map((r) => r.exampleId).sort()).toEqual(rows.map((r) => r.id));
  expect(summary).toMatchObject({ runs: EXAMPLES, succeeded: EXAMPLES, failed: 0, failures: [] });
  // ledgered returns 'c:<id>', which is not JSON.
  expect(summary.evaluators['json-parses']).toMatchObject({ meanScore: 0, scored: EXAMPLES, labels: { False: EXAMPLES }, errors: 0 });
  // An experiment that keeps its own tally and the small-generations budget, across a worker
  // kill: for the replay test (experiment-own-tally.json is the same from before that patch).
  await recordHistory(client, handle.workflowId, 'experiment-small-generations.json');
}, 150_000);
