/**
 * The trigger script as a user runs it: `node bin/dxp.js ...` processes against a real dev
 * server and a worker process.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DevServer } from '../client/dev-server';
import { runDxp, type CliResult } from './helpers/cli';
import { killAllWorkerProcesses, PROJECT_ROOT, readLedger, startWorkerProcess, waitFor } from './helpers/processes';
import { startTestServer, tempDir, workflowBundleFile, writeJsonl } from './helpers/temporal';

let server: DevServer;
let dir: string;
let bundle: string;
const taskQueue = 'cli-test';

function dxp(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runDxp(args, { cwd: dir, env: { ...process.env, TEMPORAL_ADDRESS: server.address, DXP_TASK_QUEUE: taskQueue, ...env } });
}

function writeSpec(name: string, spec: Record<string, unknown>): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, Object.entries(spec).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n') + '\n');
  return path;
}

beforeAll(async () => {
  dir = tempDir('dxp-cli-');
  server = await startTestServer();
  bundle = await workflowBundleFile();
  await startWorkerProcess({ address: server.address, taskQueue, dataDir: join(dir, 'store'), workflowBundle: bundle, ledger: join(dir, 'ledger.jsonl') });
});

afterAll(async () => {
  await killAllWorkerProcesses();
  await server?.stop();
});

test('a worker with a wrong model or sandbox setting refuses to start, naming each variable (exit 2)', async () => {
  const result = await dxp(['worker'], { DXP_SANDBOX: 'docker', DXP_MODEL_PRICES: '{not json', OPENAI_BASE_URL: 'ftp://x' });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('DXP_SANDBOX must be one of auto, bubblewrap, weak; got "docker"');
  expect(result.stderr).toContain('DXP_MODEL_PRICES is not JSON');
  expect(result.stderr).toContain('OPENAI_BASE_URL must be an http(s) URL');
  expect(result.stdout).not.toContain('dxp worker on');
});

test('a wrong spec is refused before anything starts, naming each field (exit 2)', async () => {
  const spec = writeSpec('bad', { name: 'bad', dataset: { path: 'x.csv' }, task: 'echo', concurrency: -1, repetitions: 'many' });
  const result = await dxp(['run', spec]);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/concurrency: .*>=1/);
  expect(result.stderr).toMatch(/repetitions: /);
});

test('an unknown evaluator is refused before start when the task module is given', async () => {
  const spec = writeSpec('bad-eval', { name: 'bad-eval', dataset: { path: 'x.csv' }, task: 'ledgered', evaluators: ['nope'] });
  const result = await dxp(['run', spec, '--tasks', join(PROJECT_ROOT, 'test', 'fixtures', 'tasks.ts')]);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/unknown evaluator 'nope'/);
});

test('an unreachable server is reported with how to get one (exit 3)', async () => {
  const spec = writeSpec('unreachable', { name: 'unreachable', dataset: { path: 'x.csv' }, task: 'echo' });
  const result = await dxp(['run', spec], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(result.code).toBe(3);
  expect(result.stderr).toMatch(/cannot reach Temporal at 127\.0\.0\.1:1/);
  expect(result.stderr).toMatch(/dxp server/);
});

test('run --wait prints the id and summary; a second run attaches; status and result read it', async () => {
  writeJsonl(dir, 'rows.jsonl', [{ id: 'a', input: 'x', expected: 'x' }, { id: 'b', input: 'y', expected: 'z' }]);
  const spec = writeSpec('cli-ok', { name: 'cli-ok', dataset: { path: 'rows.jsonl' }, task: 'echo', evaluators: ['exact-match'], taskQueue });
  const first = await dxp(['run', spec, '--wait']);
  expect(first.code).toBe(0);
  expect(first.stdout).toContain('Started experiment cli-ok');
  expect(first.stdout).toContain('workflow id: experiment/cli-ok');
  expect(first.stdout).toMatch(/exact-match: mean score 0\.500 over 2; labels False=1 True=1/);

  const second = await dxp(['run', spec]);
  expect(second.code).toBe(0);
  expect(second.stdout).toContain('Attached to existing experiment cli-ok');

  const status = await dxp(['status', 'cli-ok']);
  expect(status.stdout).toMatch(/^Experiment cli-ok: COMPLETED$/m);
  expect(status.stdout).toContain('2/2 done, 0 failed, 0 running');

  const result = await dxp(['result', 'cli-ok', '--json']);
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ runs: 2, succeeded: 2, evaluators: { 'exact-match': { meanScore: 0.5 } } });
});

test('run --wait exits non-zero when the experiment fails', async () => {
  writeJsonl(dir, 'failing.jsonl', [{ id: 'f', failUntil: 99 }]);
  const spec = writeSpec('cli-fail', { name: 'cli-fail', dataset: { path: 'failing.jsonl' }, task: 'flaky', exitOnError: true, retry: { maximumAttempts: 1 }, taskQueue });
  const result = await dxp(['run', spec, '--wait']);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/exitOnError: example 'f'/);
});

test('dxp worker drains an in-flight step on SIGTERM before it exits', async () => {
  const ledger = join(dir, 'drain-ledger.jsonl');
  const draining = await startWorkerProcess({
    name: 'draining worker',
    address: server.address,
    taskQueue: 'cli-drain',
    dataDir: join(dir, 'store'),
    workflowBundle: bundle,
    ledger,
    shutdownGrace: '10s',
  });
  writeJsonl(dir, 'drain.jsonl', [{ id: 'd1', ms: 1500 }]);
  const spec = writeSpec('cli-drain', { name: 'cli-drain', dataset: { path: 'drain.jsonl' }, task: 'ledgered', taskQueue: 'cli-drain' });
  const run = dxp(['run', spec]);
  await waitFor(() => readLedger(ledger).find((e) => e.event === 'start' && e.step === 'a'), { timeoutMs: 30_000, describe: () => `step a to start; ${draining.describe()}` });
  await draining.stop();
  expect(draining.exit()).toEqual({ code: 0, signal: null });
  // The step that was running when SIGTERM came finished on the draining worker.
  expect(readLedger(ledger).filter((e) => e.step === 'a' && e.event === 'end' && e.pid === draining.pid)).toHaveLength(1);
  expect((await run).code).toBe(0);
});
