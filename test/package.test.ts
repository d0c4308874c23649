/**
 * The package as a user gets it: `npm pack` (which builds dist/ through `prepack`), the tarball
 * installed into a temporary project of its own, task modules there in TypeScript and in plain
 * JavaScript that import 'durable-experiments', `npx dxp worker --tasks` and `npx dxp run --wait`
 * against a test dev server, and both demos from the installed package. One pack, one install.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStoredRuns } from '../client/demo/agent-demo';
import type { DevServer } from '../client/dev-server';
import type { RunRecord } from '../core/records';
import { PROJECT_ROOT } from './helpers/processes';
import { startTestServer, tempDir, writeJsonl } from './helpers/temporal';

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its exit (SIGKILLed, with its process group, after `timeoutMs`). */
function exec(command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Exec> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), opts.timeoutMs ?? 120_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function describeExec(what: string, r: Exec): string {
  return `${what} exited ${r.code} after ${r.ms} ms\n--- stdout\n${r.stdout.slice(-6000)}\n--- stderr\n${r.stderr.slice(-6000)}`;
}

/** Fails with everything the command printed unless it exited 0. */
function expectSuccess(what: string, r: Exec): void {
  if (r.code !== 0) throw new Error(describeExec(what, r));
}

/** `npx` runs the command in a child of its own and does not pass signals on: signal the whole group. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

interface BackgroundWorker {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const workers = new Set<BackgroundWorker>();
process.once('exit', () => {
  for (const w of workers) killGroup(w.child, 'SIGKILL');
});

/** `npx dxp worker ...` in the background, resolved once it prints its "dxp worker on" line. */
function startWorker(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<BackgroundWorker> {
  const child = spawn('npx', ['dxp', 'worker', ...args], { cwd: opts.cwd, env: opts.env, detached: true });
  let output = '';
  const worker: BackgroundWorker = {
    child,
    output: () => output,
    async stop() {
      workers.delete(worker);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  workers.add(worker);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dxp worker ${args.join(' ')} not ready in 90 s:\n${output.slice(-6000)}`)), 90_000);
    const onData = (c: Buffer) => {
      output = (output + c.toString()).slice(-20_000);
      if (output.includes('dxp worker on')) {
        clearTimeout(timer);
        resolve(worker);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dxp worker ${args.join(' ')} exited ${code} before it was ready:\n${output.slice(-6000)}`));
    });
  });
}

function outputsById(runs: RunRecord[]): Record<string, unknown> {
  return Object.fromEntries(runs.map((r) => [r.exampleId, r.output]));
}

const TS_TASKS = `import { defineTasks, NonRetryableError, type StepContext } from 'durable-experiments';

export default defineTasks({
  tasks: {
    // A two-step task, typed against the package's declarations.
    square: {
      steps: [
        { name: 'parse', run: (ctx: StepContext) => { const n = Number(ctx.input); if (!Number.isFinite(n)) throw new NonRetryableError('not a number'); return n; } },
        { name: 'square', run: (ctx: StepContext) => (ctx.outputs.parse as number) ** 2 },
      ],
    },
  },
  evaluators: {
    'is-square': ({ output, input }) => output === Number(input) * Number(input),
  },
});
`;

const JS_TASKS = `const { defineTasks } = require('durable-experiments');

module.exports = defineTasks({
  tasks: {
    shout: async (row) => String(row.input).toUpperCase() + '!',
  },
  evaluators: {
    'ends-with-bang': ({ output }) => String(output).endsWith('!'),
  },
});
`;

let root: string;
let project: string;
let dataDir: string;
let server: DevServer | undefined;
let env: NodeJS.ProcessEnv;
let packed: { filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> };
const timings: Record<string, number> = {};

beforeAll(async () => {
  root = tempDir('dxp-package-');
  const packDir = join(root, 'pack');
  mkdirSync(packDir);
  const pack = await exec('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: PROJECT_ROOT, timeoutMs: 240_000 });
  expectSuccess('npm pack', pack);
  timings.packMs = pack.ms;
  // The prepack build prints to stdout before npm's JSON.
  packed = (JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[/m))) as (typeof packed)[])[0]!;

  project = join(root, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'dxp-package-user', version: '0.0.0', private: true }, null, 2));
  const install = await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(packDir, packed.filename)], {
    cwd: project,
    timeoutMs: 600_000,
  });
  expectSuccess('npm install', install);
  timings.installMs = install.ms;

  server = await startTestServer();
  dataDir = join(root, 'data');
  env = { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace, DXP_DATA_DIR: dataDir, DXP_LOG_LEVEL: 'WARN' };
  // Offline: the agent demo must use its scripted model, whatever this machine is configured for.
  for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'DXP_MODEL', 'DXP_MODEL_PRICES', 'DXP_TASKS', 'DXP_TASK_QUEUE', 'DXP_WORKFLOW_BUNDLE']) delete env[name];
}, 900_000);

afterAll(async () => {
  await Promise.all([...workers].map((w) => w.stop()));
  await server?.stop();
  // The temporary project holds a whole node_modules (~300 MB): do not leave it in the temp dir.
  if (root) rmSync(root, { recursive: true, force: true });
  process.stdout.write(`package test: tarball ${packed?.size} bytes (${packed?.unpackedSize} unpacked), npm pack ${timings.packMs} ms, npm install ${timings.installMs} ms\n`);
});

test('the tarball has the compiled package with declarations, and no TypeScript sources', () => {
  const paths = packed.files.map((f) => f.path);
  expect(paths).toEqual(
    expect.arrayContaining([
      'bin/dxp.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/client/cli.js',
      'dist/workflows/index.js',
      'dist/examples/demo/experiment.yaml',
      'dist/examples/demo/dataset.jsonl',
      'dist/examples/agent/scripted-attempts.json',
    ]),
  );
  expect(paths.filter((p) => /\.[cm]?tsx?$/.test(p) && !p.endsWith('.d.ts'))).toEqual([]);
  const installed = join(project, 'node_modules', 'durable-experiments');
  expect(readFileSync(join(installed, 'dist', 'index.d.ts'), 'utf8')).toMatch(/defineTasks/);
  expect(existsSync(join(installed, 'dist', 'activities', 'tasks', 'define.d.ts'))).toBe(true);
  expect(existsSync(join(installed, 'client'))).toBe(false);
});

test("require('durable-experiments') works from plain node, without tsx", async () => {
  const probe =
    "const dxp = require('durable-experiments');" +
    "const m = dxp.defineTasks({ tasks: { t: async () => 1 } });" +
    "process.stdout.write(JSON.stringify({ defineTasks: typeof dxp.defineTasks, tasks: Object.keys(m.tasks), tsx: Object.keys(require.cache).some((k) => k.includes('/node_modules/tsx/')) }));";
  const r = await exec(process.execPath, ['-e', probe], { cwd: project, env });
  expectSuccess('node -e require(...)', r);
  expect(JSON.parse(r.stdout)).toEqual({ defineTasks: 'function', tasks: ['t'], tsx: false });
});

test('a TypeScript task module type-checks against the installed declarations', async () => {
  writeFileSync(join(project, 'tasks.ts'), TS_TASKS);
  const tsc = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022'];
  // The project has no @types/node of its own; the package's declarations mention Node's types.
  args.push('--typeRoots', join(PROJECT_ROOT, 'node_modules', '@types'), '--types', 'node', 'tasks.ts');
  const r = await exec(process.execPath, [tsc, ...args], { cwd: project, env });
  expectSuccess('tsc tasks.ts', r);
});

test('npx dxp worker --tasks (a .ts and a .js module) and npx dxp run --wait, in the installed project', async () => {
  writeFileSync(join(project, 'tasks.ts'), TS_TASKS);
  writeFileSync(join(project, 'tasks.js'), JS_TASKS);
  writeJsonl(project, 'numbers.jsonl', [
    { id: 'a', input: 3 },
    { id: 'b', input: 12 },
    { id: 'c', input: 'seven' },
  ]);
  writeJsonl(project, 'words.jsonl', [
    { id: 'x', input: 'durable' },
    { id: 'y', input: 'experiments' },
  ]);
  writeFileSync(join(project, 'ts-spec.yaml'), 'name: pkg-ts\ndataset: { path: numbers.jsonl }\ntask: square\nevaluators: [is-square]\nretry: { maximumAttempts: 2, initialInterval: 100ms }\n');
  writeFileSync(join(project, 'js-spec.yaml'), 'name: pkg-js\ndataset: { path: words.jsonl }\ntask: shout\nevaluators: [ends-with-bang]\n');

  const started = Date.now();
  const [tsWorker, jsWorker] = await Promise.all([
    startWorker(['--tasks', './tasks.ts', '--task-queue', 'pkg-ts'], { cwd: project, env }),
    startWorker(['--tasks', './tasks.js', '--task-queue', 'pkg-js'], { cwd: project, env }),
  ]);
  timings.workersReadyMs = Date.now() - started;
  try {
    const [ts, js] = await Promise.all([
      exec('npx', ['dxp', 'run', 'ts-spec.yaml', '--wait', '--task-queue', 'pkg-ts', '--tasks', './tasks.ts'], { cwd: project, env }),
      exec('npx', ['dxp', 'run', 'js-spec.yaml', '--wait', '--task-queue', 'pkg-js', '--tasks', './tasks.js'], { cwd: project, env }),
    ]);
    expectSuccess('dxp run ts-spec.yaml', ts);
    expectSuccess('dxp run js-spec.yaml', js);
    expect(ts.stdout).toMatch(/runs 3: 2 succeeded, 1 failed/);
    expect(js.stdout).toMatch(/runs 2: 2 succeeded, 0 failed/);

    const tsRuns = readStoredRuns(dataDir, 'pkg-ts');
    expect(outputsById(tsRuns)).toEqual({ a: 9, b: 144, c: null });
    const failed = tsRuns.find((r) => r.exampleId === 'c')!;
    // NonRetryableError imported from the package is recognised by the worker: one attempt only.
    expect(failed.error).toMatch(/not a number/);
    expect(failed.steps.find((s) => s.name === 'parse')?.attempts).toBe(1);
    for (const id of ['a', 'b']) expect(tsRuns.find((r) => r.exampleId === id)!.evaluations['is-square']).toMatchObject({ score: 1 });

    const jsRuns = readStoredRuns(dataDir, 'pkg-js');
    expect(outputsById(jsRuns)).toEqual({ x: 'DURABLE!', y: 'EXPERIMENTS!' });
    for (const run of jsRuns) expect(run.evaluations['ends-with-bang']).toMatchObject({ score: 1, label: 'True' });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- ts worker\n${tsWorker.output().slice(-4000)}\n--- js worker\n${jsWorker.output().slice(-4000)}`);
  } finally {
    await Promise.all([tsWorker.stop(), jsWorker.stop()]);
  }
}, 240_000);

test('npx dxp demo and npx dxp demo --agent run from the installed package', async () => {
  const [demo, agent] = await Promise.all([
    exec('npx', ['dxp', 'demo', '--no-keep'], { cwd: project, env, timeoutMs: 180_000 }),
    exec('npx', ['dxp', 'demo', '--agent', '--no-keep'], { cwd: project, env, timeoutMs: 180_000 }),
  ]);
  expectSuccess('dxp demo', demo);
  expectSuccess('dxp demo --agent', agent);
  const demoName = /Experiment (demo-\S+): completed/.exec(demo.stdout)?.[1];
  expect(demoName).toBeDefined();
  expect(readStoredRuns(dataDir, demoName!)).toHaveLength(40);
  const agentName = /Experiment (agent-demo-\S+): completed/.exec(agent.stdout)?.[1];
  expect(agentName).toBeDefined();
  const agentRuns = readStoredRuns(dataDir, agentName!);
  expect(agentRuns).toHaveLength(7);
  expect(agentRuns.filter((r) => r.evaluations['hidden-tests']?.label === 'pass').length).toBeGreaterThan(0);
}, 240_000);
