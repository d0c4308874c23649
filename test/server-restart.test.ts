/**
 * The Temporal server is SIGKILLed in the middle of an experiment and restarted on the same port
 * with the same database. The worker process must survive the outage and reconnect on its own,
 * and the experiment must finish with every example stored exactly once; `dxp watch`, running all
 * along, must say it is reconnecting and end on the final state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { freePort, type DevServer } from '../client/dev-server';
import { getExperimentHandle, startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import type { RunRecord } from '../core/records';
import { killAllWorkerProcesses, PROJECT_ROOT, readLedger, startWorkerProcess, stepKey, stepsInFlight, resultWithin, stopwatch, waitFor } from './helpers/processes';
import { connectTestClient, startTestServer, tempDir, workflowBundleFile, writeJsonl } from './helpers/temporal';

const EXAMPLES = 40;
const STEPS = ['a', 'b', 'c'];
const KILL_AFTER_ENDS = 30;

let dir: string;
const servers: DevServer[] = [];
const clients: Client[] = [];
const watchers: ChildProcess[] = [];

beforeAll(() => {
  dir = tempDir('dxp-restart-');
});

afterAll(async () => {
  for (const w of watchers) w.kill('SIGKILL');
  await killAllWorkerProcesses();
  for (const c of clients) await c.connection.close().catch(() => undefined);
  for (const s of servers) await s.stop();
});

/** `dxp watch <name>` as a background process; its exit code and everything it printed. */
function watchProcess(address: string, name: string): { exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'dxp.js'), 'watch', name], { env: { ...process.env, TEMPORAL_ADDRESS: address }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  watchers.push(child);
  return { exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))), output: () => output };
}

test('the server is killed and restarted mid-experiment: the worker reconnects and every example is stored once', async () => {
  const lap = stopwatch('server-restart');
  const taskQueue = 'server-restart';
  const ledger = join(dir, 'ledger.jsonl');
  const dataDir = join(dir, 'store');
  const dbFile = join(dir, 'temporal.db');
  const port = await freePort();
  const [bundle, first] = await Promise.all([workflowBundleFile(), startTestServer({ port, dbFile })]);
  servers.push(first);
  const client = await connectTestClient(first);
  clients.push(client);
  lap(`server on ${first.address} (db ${dbFile}), workflow bundle written`);

  const worker = await startWorkerProcess({
    address: first.address,
    namespace: first.namespace,
    taskQueue,
    dataDir,
    workflowBundle: bundle,
    ledger,
    name: 'worker',
  });
  lap(`worker up (pid ${worker.pid})`);

  const rows = Array.from({ length: EXAMPLES }, (_, i) => ({ id: `ex${String(i).padStart(3, '0')}`, input: i }));
  const spec = parseSpec({
    name: 'server-restart',
    dataset: { path: writeJsonl(dir, 'rows.jsonl', rows) },
    task: 'ledgered',
    concurrency: 5,
    timeout: '3s',
    retry: { initialInterval: '200ms' },
    flushEvery: 5,
    taskQueue,
  });
  await startExperiment(client, spec, taskQueue);
  lap('experiment started');
  // A user watching from a terminal: `dxp watch` must ride out the outage and end on the final state.
  const watcher = watchProcess(first.address, spec.name);

  const ends = (): number => readLedger(ledger).filter((e) => e.event === 'end').length;
  await waitFor(
    () => {
      const entries = readLedger(ledger);
      const n = entries.filter((e) => e.event === 'end').length;
      if (n >= EXAMPLES * STEPS.length) throw new Error(`the experiment finished before the server was killed (${n} ends): make it longer`);
      // Kill while steps run: their results are then reported during the outage, or not at all.
      return n >= KILL_AFTER_ENDS && stepsInFlight(entries).length > 0;
    },
    { timeoutMs: 30_000, intervalMs: 20, describe: () => `${ends()} step ends in the ledger. ${worker.describe()}` },
  );
  await first.kill();
  const killedAt = Date.now();
  const cut = stepsInFlight(readLedger(ledger));
  lap(`server SIGKILLed with ${ends()}/${EXAMPLES * STEPS.length} step ends in the ledger, ${cut.length} step(s) running`);

  // Down until `dxp watch` has seen the server gone (its unreachable line), not just slow.
  await waitFor(() => /Temporal unreachable, reconnecting/.test(watcher.output()), {
    timeoutMs: 30_000,
    intervalMs: 100,
    describe: () => `dxp watch to print "Temporal unreachable, reconnecting" after the server kill; it printed:\n${watcher.output()}`,
  });
  lap(`dxp watch saw the server gone ${Date.now() - killedAt} ms after the kill`);
  expect(worker.isRunning()).toBe(true);
  const restartedAt = Date.now();
  const second = await startTestServer({ port, dbFile });
  servers.push(second);
  lap(`server restarted on ${second.address}`);

  // The old client's connection saw the server die: use a new one.
  const client2 = await connectTestClient(second);
  clients.push(client2);
  const handle = getExperimentHandle(client2, spec.name);
  const summary = await resultWithin(handle.result(), 60_000, client2, handle.workflowId, () =>
    `the experiment did not finish after the restart (inspect: .tools/temporal-cli/bin/temporal workflow describe ` +
    `-w ${handle.workflowId} --address ${second.address}). ${worker.describe()}`,
  );
  lap(`experiment finished: ${summary.runs} runs, ${summary.succeeded} succeeded`);

  const watched = await resultWithin(watcher.exited, 30_000, client2, handle.workflowId, () => `dxp watch did not exit: ${watcher.output()}`);
  expect(watched).toBe(0);
  expect(watcher.output()).toMatch(/Temporal unreachable, reconnecting/);
  expect(watcher.output()).toContain(`${EXAMPLES}/${EXAMPLES} done, 0 failed, 0 running`);
  expect(watcher.output()).toContain(`runs ${EXAMPLES}: ${EXAMPLES} succeeded, 0 failed`);

  // The same worker process lived through the outage and did the rest of the work.
  expect(worker.isRunning()).toBe(true);
  const entries = readLedger(ledger);
  expect(entries.every((e) => e.pid === worker.pid)).toBe(true);
  const afterRestart = entries.filter((e) => e.t >= restartedAt);
  expect(afterRestart.length).toBeGreaterThan(0);

  // Every example exactly once.
  expect(summary.runs).toBe(EXAMPLES);
  expect(summary.succeeded).toBe(EXAMPLES);
  const lines = readFileSync(join(dataDir, 'experiments', spec.name, 'runs.jsonl'), 'utf8').trim().split('\n');
  expect(lines).toHaveLength(EXAMPLES);
  const ids = lines.map((l) => (JSON.parse(l) as RunRecord).exampleId);
  expect(ids.slice().sort()).toEqual(rows.map((r) => r.id).sort());

  // Every step ran to its end; those running at the kill either reported late or were retried.
  const ended = new Set(entries.filter((e) => e.event === 'end').map(stepKey));
  expect(rows.flatMap((r) => STEPS.map((s) => `${r.id}/1/${s}`)).filter((k) => !ended.has(k))).toEqual([]);
  for (const c of cut) {
    const later = entries.filter((e) => stepKey(e) === stepKey(c) && e.t > c.t);
    console.log(`running at the kill: ${stepKey(c)} attempt ${c.attempt}; then ${later.map((e) => `${e.event} attempt ${e.attempt} at kill+${e.t - killedAt} ms`).join(', ')}`);
  }

  const starts = entries.filter((e) => e.event === 'start');
  const retried = starts.filter((e) => e.attempt > 1);
  lap(
    `checked: ${starts.length} starts (${retried.length} retries), ${entries.length - starts.length} ends, ` +
      `${afterRestart.length} ledger entries after the restart`,
  );
}, 110_000);
