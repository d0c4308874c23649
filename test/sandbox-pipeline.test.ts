/**
 * Sandboxes used from task steps, end to end: hostile programs from a dataset run through the
 * pipeline in `ctx.sandbox()`, a cancel reaching a sandboxed process, auto-heartbeat of long steps,
 * and the weak fallback's warning in the run record. A real dev server and real workers.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import type { DevServer } from '../client/dev-server';
import { WEAK_ISOLATION_WARNING } from '../activities/sandbox';
import type { RunRecord } from '../core/records';
import type { ExperimentSpecInput } from '../core/spec';
import sandboxTasks, { type ProgramOutput, type SandboxLedgerEntry } from './fixtures/sandbox-tasks';
import { killAllWorkerProcesses, PROJECT_ROOT, startWorkerProcess, waitFor } from './helpers/processes';
import { connectProgram, ifIsolated } from './helpers/sandbox';
import { connectTestClient, startTestServer, startTestWorker, tempDir, workflowBundleFile, writeJsonl, type RunningWorker } from './helpers/temporal';

const MB = 1024 * 1024;
const CANARY_NAME = 'DXP_SANDBOX_PIPELINE_CANARY';
const CANARY_VALUE = `canary-${process.pid}-${Date.now()}-secret`;
const taskQueue = 'sandbox-pipeline-test';
const savedEnv = { ledger: process.env.DXP_TEST_LEDGER, sandbox: process.env.DXP_SANDBOX };

const testIsolated = ifIsolated(test, 'sandbox-pipeline.test', 'the hostile-code test');

let server: DevServer;
let client: Client;
let worker: RunningWorker;
let dir: string;
let hostServer: Server;
let hostPort: number;

beforeAll(async () => {
  dir = tempDir('dxp-sandbox-pipeline-');
  // The worker is this process: the canary is in its environment, as a secret would be.
  process.env[CANARY_NAME] = CANARY_VALUE;
  process.env.DXP_TEST_LEDGER = join(dir, 'ledger.jsonl');
  delete process.env.DXP_SANDBOX; // auto
  hostServer = createServer((_req, res) => res.end('host secret'));
  hostServer.listen(0, '127.0.0.1');
  await once(hostServer, 'listening');
  hostPort = (hostServer.address() as AddressInfo).port;
  server = await startTestServer();
  client = await connectTestClient(server);
  worker = await startTestWorker(server, { dataDir: join(dir, 'store'), taskQueue, modules: [sandboxTasks] });
}, 60_000);

afterAll(async () => {
  await killAllWorkerProcesses();
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
  hostServer?.close();
  delete process.env[CANARY_NAME];
  restoreEnv('DXP_TEST_LEDGER', savedEnv.ledger);
  restoreEnv('DXP_SANDBOX', savedEnv.sandbox);
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

function runsText(storeDir: string, name: string): string {
  return readFileSync(join(storeDir, 'experiments', name, 'runs.jsonl'), 'utf8');
}

function storedRuns(storeDir: string, name: string): Map<string, RunRecord> {
  const runs = runsText(storeDir, name).trim().split('\n').map((l) => JSON.parse(l) as RunRecord);
  return new Map(runs.map((r) => [r.exampleId, r]));
}

function ledger(): SandboxLedgerEntry[] {
  const path = join(dir, 'ledger.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as SandboxLedgerEntry);
}

/** Host processes whose command line contains `marker` (this pid namespace sees the sandboxes' ones). */
function processesWith(marker: string): string[] {
  return execFileSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(marker) && !line.includes('ps -e'));
}

async function runExperiment(
  name: string,
  rows: unknown[],
  spec: Omit<ExperimentSpecInput, 'name' | 'dataset'>,
  opts: { queue?: string; storeDir?: string } = {},
) {
  const queue = opts.queue ?? taskQueue;
  const dataset = writeJsonl(dir, `${name}.jsonl`, rows);
  const { handle } = await startExperiment(client, parseSpec({ name, dataset: { path: dataset }, taskQueue: queue, ...spec }), queue);
  const summary = await handle.result();
  const storeDir = opts.storeDir ?? join(dir, 'store');
  return { summary, runs: storedRuns(storeDir, name), text: runsText(storeDir, name) };
}

const python = (code: string) => ['python3', '-c', code];

testIsolated('hostile programs from the dataset are contained in ctx.sandbox(), benign rows succeed, the worker carries on', async () => {
  const marker = `dxp-orphan-${process.pid}-${Date.now()}`;
  const hostFile = join(dir, 'escaped.txt');
  const rows = [
    { id: 'fork-bomb', argv: python('import os\nwhile True:\n    try: os.fork()\n    except OSError: pass'), limits: { maxProcesses: 32, wallTimeMs: 8_000 } },
    { id: 'memory-hog', argv: python(`x = bytearray(${128 * MB})\nx[::4096] = b"x" * len(x[::4096])\nprint("survived")`), limits: { memoryBytes: 64 * MB } },
    { id: 'busy-loop', argv: python('while True: pass'), limits: { cpuSeconds: 1, wallTimeMs: 10_000 } },
    { id: 'stdout-flood', argv: python('import sys\nchunk = "x" * 65536\nfor _ in range(1600): sys.stdout.write(chunk)\nsys.stdout.flush()'), limits: { maxOutputBytes: 64 * 1024 } },
    { id: 'network', argv: python(`${connectProgram('127.0.0.1', hostPort)}\n${connectProgram('1.1.1.1', 80)}`) },
    { id: 'secrets', argv: ['sh', '-c', 'cat /etc/passwd; echo ---; env; echo ---; cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n"; true'] },
    {
      id: 'double-fork',
      argv: ['sh', '-c', `setsid sh -c 'while true; do echo x >> ticks; sleep 0.1; done' ${marker} > /dev/null 2>&1 < /dev/null & sleep 0.5; echo parent-done`],
    },
    {
      id: 'write-outside',
      argv: ['sh', '-c', `for f in /usr/dxp-x /etc/dxp-x /dxp-x ${hostFile}; do echo x > $f 2>/dev/null && echo "WROTE $f"; done; echo x > inside && echo "work ok"`],
    },
    { id: 'benign-python', argv: python('print(6 * 7)') },
    { id: 'benign-sh', argv: ['sh', '-c', 'echo hello from the sandbox'] },
  ];
  const started = Date.now();
  const { summary, runs, text } = await runExperiment('hostile', rows, { task: 'sandboxed-program', concurrency: 3 });
  console.log(`hostile experiment: ${rows.length} runs in ${Date.now() - started} ms`);
  const out = (id: string): ProgramOutput => {
    const run = runs.get(id);
    expect(run?.error).toBeUndefined();
    return run?.output as ProgramOutput;
  };

  expect(summary).toMatchObject({ runs: rows.length, succeeded: rows.length, failed: 0 });
  for (const run of runs.values()) expect((run.output as ProgramOutput).isolation).toBe('bubblewrap');

  expect(out('fork-bomb')).toMatchObject({ killedBy: 'processes', exitCode: null });
  expect(out('memory-hog')).toMatchObject({ killedBy: 'memory', exitCode: 137, signal: 'SIGKILL' });
  expect(out('memory-hog').stdout).not.toContain('survived');
  expect(out('busy-loop')).toMatchObject({ killedBy: 'cpu', timedOut: true, signal: 'SIGXCPU' });
  expect(out('busy-loop').durationMs).toBeLessThan(5_000);
  expect(out('stdout-flood')).toMatchObject({ killedBy: 'output', outputTruncated: true, exitCode: null, stdoutBytes: 64 * 1024 });

  const network = out('network').stdout.trim().split('\n');
  expect(network).toHaveLength(2);
  for (const line of network) expect(line).toMatch(/^FAILED/);

  const [passwd = '', env = ''] = out('secrets').stdout.split('---\n');
  expect(passwd).toMatch(/^sandbox:x:\d+:\d+:/);
  expect(passwd).not.toMatch(/^root:/m);
  expect(env).toContain('HOME=/work'); // the environment dump is in the record, without the worker's
  expect(text).not.toContain(CANARY_VALUE);
  expect(text).not.toContain(CANARY_NAME);

  expect(out('double-fork')).toMatchObject({ exitCode: 0, stdout: 'parent-done\n' });
  expect(out('double-fork').ticksBytes).toBeGreaterThan(0); // the orphan did run
  expect(processesWith(marker)).toEqual([]);

  expect(out('write-outside').stdout).toBe('work ok\n');
  expect(existsSync(hostFile)).toBe(false);
  expect(existsSync('/usr/dxp-x') || existsSync('/etc/dxp-x') || existsSync('/dxp-x')).toBe(false);

  expect(out('benign-python')).toMatchObject({ exitCode: 0, stdout: '42\n', killedBy: null });
  expect(out('benign-sh')).toMatchObject({ exitCode: 0, stdout: 'hello from the sandbox\n' });

  // The same worker carries on.
  const after = await runExperiment('after-hostile', [{ id: 'a1', input: 'still here' }], { task: 'sandboxed-echo' });
  expect(after.summary.succeeded).toBe(1);
  expect(after.runs.get('a1')?.output).toMatchObject({ stdout: 'still here\n', exitCode: 0 });
}, 60_000);

test('cancelling the experiment kills its sandboxed process within seconds, and the cleanup step runs', async () => {
  const marker = `dxp-sleeper-${process.pid}-${Date.now()}`;
  const dataset = writeJsonl(dir, 'cancel.jsonl', [{ id: 's1', marker }]);
  const spec = parseSpec({ name: 'cancel-sandbox', dataset: { path: dataset }, task: 'sandboxed-sleeper', taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  await waitFor(() => ledger().some((e) => e.exampleId === 's1' && e.event === 'sleeper-started') && processesWith(marker).length > 0, {
    timeoutMs: 30_000,
    describe: () => `the sandboxed sleeper never started; ledger: ${JSON.stringify(ledger())}`,
  });

  const cancelledAt = Date.now();
  await handle.cancel();
  await waitFor(() => processesWith(marker).length === 0, {
    timeoutMs: 15_000,
    intervalMs: 50,
    describe: () => `still running: ${processesWith(marker).join('; ')}`,
  });
  const latency = Date.now() - cancelledAt;
  console.log(`cancel reached the sandboxed process in ${latency} ms (step timeout 2 min)`);
  expect(latency).toBeLessThan(15_000);

  const cancelled = await handle.result().catch((e: unknown) => e);
  expect(cancelled).toBeInstanceOf(WorkflowFailedError);
  expect((cancelled as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  const events = await waitFor(
    () => {
      const mine = ledger().filter((e) => e.exampleId === 's1').map((e) => e.event);
      return mine.includes('cleanup') && mine.includes('sleeper-ended:cancelled') && mine;
    },
    { timeoutMs: 15_000, describe: () => `ledger: ${JSON.stringify(ledger())}` },
  );
  expect(events).toEqual(expect.arrayContaining(['sleeper-started', 'sleeper-ended:cancelled', 'cleanup']));
}, 60_000);

test('auto-heartbeat keeps a quiet 4 s step alive under a 1 s heartbeat timeout', async () => {
  const { summary, runs } = await runExperiment('quiet-long', [{ id: 'q1', ms: 4_000 }], { task: 'quiet-long' });
  expect(summary.succeeded).toBe(1);
  expect(runs.get('q1')?.output).toEqual({ attempt: 1 });
  expect(runs.get('q1')?.steps[0]).toMatchObject({ name: 'work', attempts: 1 });
  expect(runs.get('q1')?.steps[0]?.durationMs).toBeGreaterThanOrEqual(4_000);
}, 30_000);

test('progress reported before a failure reaches the retry as ctx.resumeFrom; oversized details are refused', async () => {
  const { runs } = await runExperiment('progress', [{ id: 'p1' }], { task: 'progress-then-fail' });
  expect(runs.get('p1')?.output).toEqual({ resumedFrom: { done: 2 }, attempt: 2 });
  expect(ledger().filter((e) => e.exampleId === 'p1' && e.event === 'progress').map((e) => e.attempt)).toEqual([1, 2]);

  const big = await runExperiment('big-heartbeat', [{ id: 'b1' }], { task: 'big-heartbeat' });
  expect(big.runs.get('b1')?.output).toEqual({ resumedFrom: { cursor: 7 } });
  expect(big.runs.get('b1')?.steps[0]?.warnings?.[0]).toMatch(/heartbeat details refused: \d+ bytes over the 4096-byte limit/);
}, 30_000);

test('DXP_SANDBOX=weak: the weak-isolation warning is in the run record, for a failed step too', async () => {
  const storeDir = join(dir, 'weak-store');
  const weakQueue = 'sandbox-weak-test';
  const weakWorker = await startWorkerProcess({
    address: server.address,
    namespace: server.namespace,
    taskQueue: weakQueue,
    dataDir: storeDir,
    workflowBundle: await workflowBundleFile(),
    ledger: join(dir, 'weak-ledger.jsonl'),
    tasks: join(PROJECT_ROOT, 'test', 'fixtures', 'sandbox-tasks.ts'),
    env: { DXP_SANDBOX: 'weak', [CANARY_NAME]: CANARY_VALUE },
    name: 'weak worker',
  });
  try {
    const ok = await runExperiment('weak', [{ id: 'w1', input: 'hi' }], { task: 'sandboxed-echo' }, { queue: weakQueue, storeDir });
    const run = ok.runs.get('w1');
    expect(run?.output).toMatchObject({ isolation: 'weak', stdout: 'hi\n' });
    expect(run?.steps[0]?.warnings).toContain(WEAK_ISOLATION_WARNING);
    expect(ok.text).not.toContain(CANARY_VALUE);

    const failed = await runExperiment('weak-throw', [{ id: 'w2' }], { task: 'sandbox-then-throw' }, { queue: weakQueue, storeDir });
    const step = failed.runs.get('w2')?.steps[0];
    expect(step?.error).toContain('failed after provisioning');
    expect(step?.warnings).toContain(WEAK_ISOLATION_WARNING);
  } finally {
    await weakWorker.stop();
  }
}, 60_000);
