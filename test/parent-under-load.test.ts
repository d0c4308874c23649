/**
 * The experiment's workflow on a starved worker must degrade, not stop: the worker keeps no
 * workflow in its cache (every workflow task replays the whole generation), shares one core
 * with a busy loop, and runs an experiment of thousands of examples. Each generation's history
 * stays inside its budget, no workflow task times out, and every run is there at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { experimentWorkflowId } from '../workflows/experiment-contract';
import { killAllWorkerProcesses, resultWithin, startWorkerProcess } from './helpers/processes';
import { connectTestClient, startTestServer, tempDir, workflowBundleFile, writeJsonl } from './helpers/temporal';

const EXAMPLES = Number(process.env.DXP_LOAD_TEST_EXAMPLES ?? 2_000);
/** The generation budget of workflows/experiment.ts, plus the events of one workflow task's slack. */
const MAX_EVENTS_PER_GENERATION = 2_500 + 300;

let server: DevServer;
let client: Client;
let dir: string;
const hogs: ChildProcess[] = [];

beforeAll(async () => {
  dir = tempDir('dxp-load-');
  server = await startTestServer();
  client = await connectTestClient(server);
});

afterAll(async () => {
  for (const hog of hogs) hog.kill('SIGKILL');
  await killAllWorkerProcesses();
  await client?.connection.close();
  await server?.stop();
});

function pinToCore0(pid: number): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', '0', String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset failed (util-linux): ${r.stderr || r.error}`);
}

test(`${EXAMPLES} examples on a worker with no workflow cache, sharing one core with a busy loop`, async () => {
  const taskQueue = 'parent-under-load';
  const worker = await startWorkerProcess({
    address: server.address,
    taskQueue,
    dataDir: join(dir, 'store'),
    workflowBundle: await workflowBundleFile(),
    ledger: join(dir, 'ledger.jsonl'),
    env: { DXP_MAX_CACHED_WORKFLOWS: '0' },
  });
  pinToCore0(worker.pid);
  const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  hogs.push(hog);
  pinToCore0(hog.pid!);

  const rows = Array.from({ length: EXAMPLES }, (_, i) => ({ id: `ex${String(i).padStart(5, '0')}`, input: i }));
  const spec = parseSpec({ name: 'under-load', dataset: { path: writeJsonl(dir, 'rows.jsonl', rows) }, task: 'echo', concurrency: 50, taskQueue });
  const started = Date.now();
  const { handle } = await startExperiment(client, spec, taskQueue);
  const summary = await resultWithin(handle.result(), 25 * 60_000, client, handle.workflowId, () => `stalled: ${worker.describe()}`);
  const seconds = (Date.now() - started) / 1000;
  expect(summary).toMatchObject({ runs: EXAMPLES, succeeded: EXAMPLES, failed: 0 });

  // Every generation of the parent: inside the budget, and no workflow task timed out.
  const generations: { events: number; bytes: number; timedOut: number }[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = "${experimentWorkflowId('under-load')}"` })) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const events = history.events ?? [];
    generations.push({
      events: events.length,
      bytes: run.historySize ?? 0,
      timedOut: events.filter((e) => e.workflowTaskTimedOutEventAttributes).length,
    });
  }
  const largest = Math.max(...generations.map((g) => g.events));
  console.log(
    `${EXAMPLES} examples under load in ${seconds.toFixed(0)} s (${(EXAMPLES / seconds).toFixed(1)}/s), ${generations.length} generations, ` +
      `largest ${largest} events / ${Math.max(...generations.map((g) => g.bytes))} bytes, workflow-task timeouts ${generations.reduce((n, g) => n + g.timedOut, 0)}`,
  );
  expect(generations.length).toBeGreaterThanOrEqual(Math.ceil(EXAMPLES / 400));
  expect(largest).toBeLessThanOrEqual(MAX_EVENTS_PER_GENERATION);
  expect(generations.filter((g) => g.timedOut > 0)).toEqual([]);
}, 30 * 60_000);
