/**
 * Workers on several machines: `dxp worker` processes, each with its own data folder (no shared
 * disk). With a shared PostgreSQL store (DXP_RESULTS_URL) every run lands there once, whichever
 * worker stored it, and the CLI reads them all. Without one, there is no silent split: store calls
 * go to a task queue of the experiment's store, which only its worker polls, and the runs wait in
 * the workflow while that worker is down.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { createPostgresStore } from '../activities/sinks/postgres-store';
import { readStoredRuns } from '../client/demo/agent-demo';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import type { ExperimentSummary, RunRecord } from '../core/records';
import { runDxp } from './helpers/cli';
import { startTestPostgres, type TestPostgres } from './helpers/cluster';
import { killAllWorkerProcesses, resultWithin, startWorkerProcess, waitFor, type WorkerProcess } from './helpers/processes';
import { connectTestClient, recordHistory, startTestServer, tempDir, workflowBundleFile, writeJsonl } from './helpers/temporal';

const EXAMPLES = 40;
let server: DevServer;
let client: Client;
let pg: TestPostgres;
let dir: string;

beforeAll(async () => {
  dir = tempDir('dxp-split-');
  [server, pg] = await Promise.all([startTestServer(), startTestPostgres()]);
  client = await connectTestClient(server);
}, 120_000);

afterAll(async () => {
  await killAllWorkerProcesses();
  await client?.connection.close();
  await server?.stop();
  await pg?.stop();
}, 60_000);

function specOf(name: string, taskQueue: string) {
  const rows = Array.from({ length: EXAMPLES }, (_, i) => ({ id: `ex${String(i).padStart(2, '0')}`, ms: 150 }));
  const spec = parseSpec({
    name,
    dataset: { path: writeJsonl(dir, `${name}.jsonl`, rows) },
    task: 'ledgered',
    evaluators: ['json-parses'],
    concurrency: 4,
    flushEvery: 2,
    timeout: '3s',
    retry: { initialInterval: '200ms' },
    taskQueue,
  });
  return { spec, ids: rows.map((r) => r.id) };
}

function machines(taskQueue: string, bundle: string, env: Record<string, string> = {}) {
  const disks = ['a', 'b', 'c'].map((m) => join(dir, `${taskQueue}-machine-${m}`));
  const start = (i: number): Promise<WorkerProcess> =>
    startWorkerProcess({ name: `worker ${'abc'[i]}`, address: server.address, taskQueue, dataDir: disks[i]!, workflowBundle: bundle, ledger: join(dir, `${taskQueue}-ledger.jsonl`), env });
  return { disks, start };
}

function expectAllSucceeded(summary: ExperimentSummary): void {
  expect(summary).toMatchObject({ runs: EXAMPLES, succeeded: EXAMPLES, failed: 0, failures: [] });
  // ledgered returns 'c:<id>', which is not JSON.
  expect(summary.evaluators['json-parses']).toMatchObject({ meanScore: 0, scored: EXAMPLES, labels: { False: EXAMPLES }, errors: 0 });
}

test('a shared PostgreSQL store, one worker killed mid-run: every run stored there once, none on a disk, and the CLI reads them all', async () => {
  const taskQueue = 'split-shared';
  const { disks, start } = machines(taskQueue, await workflowBundleFile(), { DXP_RESULTS_URL: pg.resultsUrl });
  const workers = await Promise.all([start(0), start(1)]);
  const { spec, ids } = specOf('split-shared', taskQueue);
  const { handle } = await startExperiment(client, spec, taskQueue);
  const store = await createPostgresStore({ url: pg.resultsUrl, migrate: false });
  try {
    const stored = async (): Promise<RunRecord[]> => {
      const runs: RunRecord[] = [];
      for await (const r of store.readRuns('split-shared')) runs.push(r);
      return runs;
    };
    await waitFor(async () => ((await stored().catch(() => [])).length >= 6 ? true : undefined), { timeoutMs: 60_000, describe: () => workers.map((w) => w.describe()).join('; ') });
    await workers[0]!.kill();
    await start(2);
    const summary = await resultWithin(handle.result(), 90_000, client, handle.workflowId, () => 'the experiment did not finish after the kill');
    expectAllSucceeded(summary);
    expect(summary.location).toBe(`postgres://temporal@127.0.0.1:${pg.port}/dxp_results`);

    const runs = await stored();
    expect(runs.map((r) => r.exampleId).sort()).toEqual(ids);
    for (const d of disks) expect(existsSync(join(d, 'experiments'))).toBe(false);
    // Store calls routed to the store's task queue, across a worker kill: for the replay test
    // (experiment-small-generations.json is the same experiment from before that routing).
    await recordHistory(client, handle.workflowId, 'experiment-store-queue.json');
  } finally {
    await store.close();
  }

  // The CLI reads the same store: `dxp result --runs` and an export, from any folder.
  const env = { TEMPORAL_ADDRESS: server.address, DXP_RESULTS_URL: pg.resultsUrl };
  const result = await runDxp(['result', 'split-shared', '--runs', '--json'], { cwd: dir, env });
  expect(result.code).toBe(0);
  const printed = JSON.parse(result.stdout) as ExperimentSummary & { runRecords: RunRecord[] };
  expect(printed.runRecords.map((r) => r.exampleId)).toEqual(ids);
  const exported = await runDxp(['export', 'split-shared', '--out', join(dir, 'shared.jsonl')], { cwd: dir, env });
  expect(exported.stderr).toBe('');
  expect(exported.stdout).toContain(`${EXAMPLES} runs of experiment 'split-shared' from postgres://temporal@127.0.0.1:${pg.port}/dxp_results`);
  // Without DXP_RESULTS_URL the CLI says where the runs are instead of reading a folder.
  const local = await runDxp(['result', 'split-shared', '--runs'], { cwd: dir, env: { TEMPORAL_ADDRESS: server.address } });
  expect(local.code).toBe(2);
  expect(local.stderr).toMatch(/runs are in postgres:\/\/temporal@127\.0\.0\.1:\d+\/dxp_results: set DXP_RESULTS_URL/);
}, 180_000);

test("local stores only: the runs go only to the worker with the experiment's store, and wait for it while it is down", async () => {
  const taskQueue = 'split-local';
  const bundle = await workflowBundleFile();
  const { disks, start } = machines(taskQueue, bundle);
  const workers = await Promise.all([start(0), start(1)]);
  const { spec, ids } = specOf('split-local', taskQueue);
  const { handle } = await startExperiment(client, spec, taskQueue);
  const owner = await waitFor(() => {
    const i = disks.findIndex((d) => existsSync(join(d, 'experiments', 'split-local', 'experiment.json')));
    return i === -1 ? undefined : i;
  }, { timeoutMs: 30_000, describe: () => workers.map((w) => w.describe()).join('; ') });
  await waitFor(() => (readStoredRuns(disks[owner]!, 'split-local').length >= 6 ? true : undefined), { timeoutMs: 60_000, describe: () => workers.map((w) => w.describe()).join('; ') });
  await workers[owner]!.kill();
  const before = readStoredRuns(disks[owner]!, 'split-local').length;
  await start(2);
  // The examples go on on the other machines; their runs wait in the workflow for a store call
  // that only the owner's queue serves: scheduled, never attempted by a worker with another store.
  const waiting = await waitFor(async () => {
    const { raw } = await handle.describe();
    const store = raw.pendingActivities?.find((a) => a.activityType?.name === 'recordRuns');
    return store && raw.pendingChildren?.length === 0 ? store : undefined;
  }, { timeoutMs: 90_000, intervalMs: 500, describe: () => 'no recordRuns waiting once every example had run' });
  // Attempt 1, or 2 when the owner died with a store call in flight; never a worker of another store.
  expect(String(waiting.state)).toMatch(/SCHEDULED|^1$/);
  if (waiting.attempt !== 1) {
    expect(waiting.attempt).toBe(2);
    expect(waiting.lastWorkerIdentity).toMatch(new RegExp(`^${workers[owner]!.pid}@`));
  }
  expect(readStoredRuns(disks[owner]!, 'split-local').length).toBe(before);
  for (const [i, d] of disks.entries()) if (i !== owner) expect(existsSync(join(d, 'experiments', 'split-local'))).toBe(false);

  // The machine comes back with its disk: the waiting runs are stored there, and nowhere else.
  await startWorkerProcess({ name: 'worker again', address: server.address, taskQueue, dataDir: disks[owner]!, workflowBundle: bundle, ledger: join(dir, `${taskQueue}-ledger.jsonl`) });
  const summary = await resultWithin(handle.result(), 60_000, client, handle.workflowId, () => 'the experiment did not finish once its store was back');
  expectAllSucceeded(summary);
  expect(readStoredRuns(disks[owner]!, 'split-local').map((r) => r.exampleId).sort()).toEqual(ids);
  for (const [i, d] of disks.entries()) if (i !== owner) expect(existsSync(join(d, 'experiments', 'split-local'))).toBe(false);
}, 240_000);
