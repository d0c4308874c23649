/**
 * The CLI's edges as a new user meets them: bad datasets refused before a name is taken, one-line
 * errors with exit codes that mean something, status/list/result from the experiment itself.
 * `node bin/dxp.js` processes against a real dev server and a real worker process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, type DevServer } from '../client/dev-server';
import { runDxp, type CliResult } from './helpers/cli';
import { killAllWorkerProcesses, PROJECT_ROOT, startWorkerProcess, waitFor } from './helpers/processes';
import { startTestServer, tempDir, workflowBundleFile, writeJsonl } from './helpers/temporal';

let server: DevServer;
let dir: string;
const taskQueue = 'front-door';

function dxp(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runDxp(args, { cwd: dir, env: { ...process.env, TEMPORAL_ADDRESS: server.address, DXP_TASK_QUEUE: taskQueue, ...env } });
}

function writeSpec(name: string, spec: Record<string, unknown>): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, Object.entries({ name, taskQueue, ...spec }).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n') + '\n');
  return path;
}

/** One line on stderr, no stack frames. */
function expectOneLine(result: CliResult): void {
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

beforeAll(async () => {
  dir = tempDir('dxp-front-door-');
  server = await startTestServer();
  await startWorkerProcess({ address: server.address, taskQueue, dataDir: join(dir, '.dxp'), workflowBundle: await workflowBundleFile(), ledger: join(dir, 'ledger.jsonl') });
});

afterAll(async () => {
  await killAllWorkerProcesses();
  await server?.stop();
});

describe('a dataset that cannot run is refused before the name is taken (exit 2)', () => {
  test('a missing file', async () => {
    const spec = writeSpec('missing-file', { dataset: { path: 'nowhere.jsonl' }, task: 'echo' });
    const run = await dxp(['run', spec]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('dataset.path: dataset file not found');
    expectOneLine(run);
    // The name is still free: fixing the path and running again starts it.
    writeJsonl(dir, 'nowhere.jsonl', [{ id: 'x', input: 1 }]);
    const again = await dxp(['run', spec, '--wait']);
    expect(again.stdout).toContain('Started experiment missing-file');
    expect(again.code).toBe(0);
  });

  test('repeated example ids, named with their rows', async () => {
    writeJsonl(dir, 'dups.jsonl', [{ id: 'a' }, { id: 'b' }, { id: 'a' }, { id: 'c' }, { id: 'c' }]);
    const run = await dxp(['run', writeSpec('dups', { dataset: { path: 'dups.jsonl' }, task: 'echo' })]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("'a' (rows 1, 3), 'c' (rows 4, 5)");
    expectOneLine(run);
    const status = await dxp(['status', 'dups']);
    expect(status.code).toBe(2);
  });

  test("a malformed row whose row-<n> id repeats a real row's id", async () => {
    writeFileSync(join(dir, 'collide.jsonl'), '{"id":"row-2"}\n{"id": broken\n');
    const run = await dxp(['run', writeSpec('collide', { dataset: { path: 'collide.jsonl' }, task: 'echo' })]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("'row-2' (rows 1, 2)");
  });
});

test('attaching to an experiment started from another spec names the fields that differ', async () => {
  writeJsonl(dir, 'attach.jsonl', [{ id: 'a', input: 'x', expected: 'x' }]);
  const first = await dxp(['run', writeSpec('attach', { dataset: { path: 'attach.jsonl' }, task: 'echo', concurrency: 2 }), '--wait']);
  expect(first.code).toBe(0);
  const same = await dxp(['run', join(dir, 'attach.yaml')]);
  expect(same.stdout).toContain('Attached to existing experiment attach');
  expect(same.stderr).toBe('');
  const changed = await dxp(['run', writeSpec('attach', { dataset: { path: 'attach.jsonl' }, task: 'echo', concurrency: 5, evaluators: ['exact-match'] })]);
  expect(changed.code).toBe(0);
  expect(changed.stderr).toContain('started with a different spec (concurrency, evaluators)');
});

describe('one line and a meaningful exit code', () => {
  test.each([['status'], ['result'], ['watch'], ['cancel']])('%s of an unknown experiment: exit 2', async (command) => {
    const result = await dxp([command, 'nosuch']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no experiment named 'nosuch'");
    expectOneLine(result);
  });

  test('usage errors exit 2; --version prints the version', async () => {
    const noSpec = await dxp(['run']);
    expect(noSpec.code).toBe(2);
    expect(noSpec.stderr).toContain("missing required argument 'spec'");
    const unknown = await dxp(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect((await dxp([])).code).toBe(2);
    const version = await dxp(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  test('an Arize host that does not answer: one line, exit 3, for run and export alike', async () => {
    const env = { ARIZE_API_KEY: 'test-key', ARIZE_BASE_URL: 'http://127.0.0.1:1', ARIZE_SPACE: 'space' };
    const exported = await dxp(['export', 'some-experiment', '--dataset', 'd', '--format', 'jsonl'], env);
    const run = await dxp(['run', writeSpec('arize-down', { dataset: { arize: { dataset: 'd' } }, task: 'echo' })], env);
    for (const result of [exported, run]) {
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/^dxp: Arize GET \/v2\/\S+ failed: /);
      expectOneLine(result);
    }
  });
});

describe('reading an experiment', () => {
  test('status while it runs: counts, rate and ETA from the experiment; result says "still running" with exit 4', async () => {
    writeJsonl(dir, 'slow.jsonl', [1, 2, 3, 4, 5, 6].map((n) => ({ id: `s${n}`, ms: 300 })));
    const spec = writeSpec('slow', { dataset: { path: 'slow.jsonl' }, task: 'ledgered', concurrency: 1 });
    expect((await dxp(['run', spec])).code).toBe(0);
    let status: { status: string; counts: { total: number; done: number; running: number }; ratePerSec?: number; etaSeconds?: number } | undefined;
    await waitFor(
      async () => {
        const out = await dxp(['status', 'slow', '--json']);
        expect(out.code).toBe(0);
        status = JSON.parse(out.stdout) as typeof status;
        return status!.counts.done >= 2 && status!.status === 'RUNNING';
      },
      { timeoutMs: 30_000, intervalMs: 500, describe: () => `dxp status to show 2+ done while RUNNING; last: ${JSON.stringify(status)}` },
    );
    expect(status).toMatchObject({ status: 'RUNNING', counts: { total: 6 } });
    expect(status!.ratePerSec).toBeGreaterThan(0);
    expect(status!.etaSeconds).toBeGreaterThan(0);
    const text = await dxp(['status', 'slow']);
    expect(text.stdout).toMatch(/\d\/6 done, 0 failed, \d running \| \d+\.\d\/s \| ETA \d+s/);
    const early = await dxp(['result', 'slow']);
    expect(early.code).toBe(4);

    const watched = await dxp(['watch', 'slow']);
    expect(watched.code).toBe(0);
    // The last frame is the final state, not the poll before it.
    expect(watched.stdout).toContain('6/6 done, 0 failed, 0 running');
    const done = JSON.parse((await dxp(['status', 'slow', '--json'])).stdout) as { status: string; counts: unknown };
    expect(done).toMatchObject({ status: 'COMPLETED', counts: { total: 6, done: 6, succeeded: 6, failed: 0, running: 0 } });
  });

  test('list shows each experiment with its progress; result --runs prints a row per run', async () => {
    writeJsonl(dir, 'listed.jsonl', [
      { id: 'ok', failUntil: 1 },
      { id: 'again', failUntil: 1 },
      { id: 'boom', failUntil: 99 },
    ]);
    const spec = writeSpec('listed', { dataset: { path: 'listed.jsonl' }, task: 'flaky', evaluators: ['json-parses'], retry: { maximumAttempts: 1 } });
    const run = await dxp(['run', spec, '--wait']);
    expect(run.code).toBe(0);

    const listed = JSON.parse((await dxp(['list', '--json'])).stdout) as { name: string; status: string; done: number; failed: number }[];
    expect(listed.find((e) => e.name === 'listed')).toMatchObject({ status: 'COMPLETED', done: 3, failed: 1 });
    expect((await dxp(['list'])).stdout).toMatch(/^listed\s+COMPLETED\s+3\s+1\s+0\s/m);

    const table = (await dxp(['result', 'listed', '--runs'])).stdout;
    expect(table).toMatch(/^example\s+rep\s+status\s+duration\s+json-parses\s+error$/m);
    expect(table).toMatch(/^boom\s+1\s+failed\s+\S+\s+\S+\s+.*transient failure on attempt 1/m);
    expect(table).toMatch(/^again\s+1\s+ok\s+\S+\s+\S+$/m);
    expect(table).toMatch(/^ok\s+1\s+ok\s+\S+\s+\S+$/m);
  });
});

describe('a Temporal server without dxp search attributes', () => {
  let plain: DevServer;
  beforeAll(async () => {
    plain = await startTestServer({ searchAttributes: false });
  });
  afterAll(async () => {
    await plain?.stop();
  });

  test('run and worker name the attributes and the command, exit 2; `dxp server setup` registers them', async () => {
    const env = { TEMPORAL_ADDRESS: plain.address };
    writeJsonl(dir, 'plain.jsonl', [{ id: 'p', input: 1 }]);
    const spec = writeSpec('plain', { dataset: { path: 'plain.jsonl' }, task: 'echo' });
    const run = await dxp(['run', spec], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('lacks the search attributes DxpExperiment, DxpExampleId, DxpStatus (Keyword)');
    expect(run.stderr).toContain('temporal operator search-attribute create --namespace default --name DxpExperiment --name DxpExampleId --name DxpStatus --type Keyword');
    expectOneLine(run);
    const worker = await dxp(['worker'], env);
    expect(worker.code).toBe(2);
    expect(worker.stderr).toContain('lacks the search attributes DxpExperiment');

    const setup = await dxp(['server', 'setup'], env);
    expect(setup.code).toBe(0);
    expect(setup.stdout).toContain('registered DxpExperiment, DxpExampleId, DxpStatus');
    expect((await dxp(['server', 'setup'], env)).stdout).toContain('nothing to do');
    const started = await dxp(['run', spec], env);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('Started experiment plain');
  });
});

describe('dxp server', () => {
  test('links follow --ui-port to the UI that runs; a port in use is refused (exit 2)', async () => {
    const [grpcPort, uiPort] = [await freePort(), await freePort()];
    const registry = join(dir, 'registry');
    const env = { ...process.env, DXP_DEV_SERVER_REGISTRY: registry, TEMPORAL_ADDRESS: `127.0.0.1:${grpcPort}` };
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'dxp.js'), 'server', '--port', String(grpcPort), '--ui-port', String(uiPort), '--db-file', join(dir, 'ui-port.db')], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    try {
      await waitFor(() => output.includes('Temporal dev server on'), { timeoutMs: 60_000, describe: () => output });
      writeJsonl(dir, 'ui-port.jsonl', [{ id: 'u' }]);
      const run = await runDxp(['run', writeSpec('ui-port', { dataset: { path: 'ui-port.jsonl' }, task: 'echo' })], { cwd: dir, env });
      expect(run.stdout).toContain(`Temporal UI: http://127.0.0.1:${uiPort}/namespaces/default/workflows/experiment%2Fui-port`);
      // The link is the UI that actually runs.
      expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);

      const busy = await runDxp(['server', '--port', String(grpcPort), '--headless', '--db-file', join(dir, 'busy.db')], { cwd: dir, env });
      expect(busy.code).toBe(2);
      expect(busy.stderr).toContain(`gRPC port ${grpcPort} is in use`);
      expectOneLine(busy);
    } finally {
      child.kill('SIGINT');
      await once(child, 'exit');
    }
    // Stopped: its note is gone, so a later server on that port gets the default link (port + 1000).
    expect(existsSync(join(registry, `${grpcPort}.json`))).toBe(false);
  });
});
