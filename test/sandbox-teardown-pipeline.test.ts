/**
 * Teardown through the pipeline: a step whose sandbox program leaves a 2,500-deep tree ends with
 * its sandbox dir gone and no warning; a sandbox that cannot be torn down (the step, host code,
 * made a file in it immutable) shows as a warning in the run record's `steps[].warnings`, for a
 * step that succeeds and one that fails. A real dev server and an in-process worker.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Client } from '@temporalio/client';
import { createSandboxProvider, type ProvisionOptions, type Sandbox, type SandboxProvider } from '../activities/sandbox';
import { SandboxTeardownError } from '../activities/sandbox/teardown';
import { defineTasks } from '../activities/tasks/define';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import type { RunRecord } from '../core/records';
import { HOSTILE_TREE_PROGRAM } from './helpers/hostile-tree';
import { connectTestClient, startTestServer, startTestWorker, tempDir, writeJsonl, type RunningWorker } from './helpers/temporal';

/** What each example's step provisioned. */
const made = new Map<string, { id: string; root: string; pinned?: string }>();
/** Sandboxes whose teardown the provider fails itself, where `chattr +i` does not work (not root, tmpfs before Linux 6.0). */
const simulated = new Set<string>();

/** The worker's usual provider (bubblewrap here, else weak), with a stand-in for a failing teardown where chattr cannot make one. */
class ProviderWithFailures implements SandboxProvider {
  readonly name: string;
  readonly isolation;
  readonly warnings: string[];
  constructor(private readonly inner: SandboxProvider) {
    this.name = inner.name;
    this.isolation = inner.isolation;
    this.warnings = inner.warnings;
  }
  async provision(opts?: ProvisionOptions): Promise<Sandbox> {
    const sandbox = await this.inner.provision(opts);
    return Object.assign(Object.create(sandbox) as Sandbox, {
      run: sandbox.run.bind(sandbox),
      readFile: sandbox.readFile.bind(sandbox),
      writeFile: sandbox.writeFile.bind(sandbox),
      async teardown() {
        await sandbox.teardown();
        if (simulated.has(sandbox.id)) throw new SandboxTeardownError(dirname(sandbox.workDir), 'simulated: chattr +i does not work here');
      },
    });
  }
}

const tasks = defineTasks({
  sandboxProvider: async () => new ProviderWithFailures(await createSandboxProvider()),
  tasks: {
    'deep-tree': {
      steps: [
        {
          name: 'tree',
          timeout: '2m',
          retry: { maximumAttempts: 1 },
          run: async (ctx) => {
            const sandbox = await ctx.sandbox({ limits: { wallTimeMs: 60_000 } });
            const entry: { id: string; root: string; pinned?: string } = { id: sandbox.id, root: dirname(sandbox.workDir) };
            made.set(ctx.id, entry);
            const r = await sandbox.run(['python3', '-c', HOSTILE_TREE_PROGRAM, 'deep', '2500']);
            if (ctx.row.pin) {
              // Host code of the step (not the sandbox, which lacks CAP_LINUX_IMMUTABLE) pins a file.
              await sandbox.run(['sh', '-c', 'echo x > pinned']);
              entry.pinned = join(sandbox.workDir, 'pinned');
              if (spawnSync('chattr', ['+i', entry.pinned]).status !== 0) simulated.add(sandbox.id);
            }
            if (ctx.row.fail) throw new Error('failed after pinning');
            return { exitCode: r.exitCode, stdout: r.stdout.trim(), isolation: sandbox.isolation };
          },
        },
      ],
    },
  },
});

let server: DevServer;
let client: Client;
let worker: RunningWorker;
let dir: string;
const taskQueue = 'sandbox-teardown-pipeline-test';

beforeAll(async () => {
  dir = tempDir('dxp-sandbox-teardown-pipeline-');
  server = await startTestServer();
  client = await connectTestClient(server);
  worker = await startTestWorker(server, { dataDir: join(dir, 'store'), taskQueue, modules: [tasks] });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
  for (const entry of made.values()) {
    if (entry.pinned) spawnSync('chattr', ['-i', entry.pinned]);
    if (existsSync(entry.root)) execFileSync('rm', ['-rf', '--one-file-system', '--', entry.root]);
  }
});

test('a deep tree is torn down with no warning; a teardown that fails is a warning in the run record, failed steps included', async () => {
  const rows = [{ id: 'deep' }, { id: 'pinned', pin: true }, { id: 'pinned-fail', pin: true, fail: true }];
  const spec = parseSpec({ name: 'teardown', dataset: { path: writeJsonl(dir, 'rows.jsonl', rows) }, task: 'deep-tree', taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  const summary = await handle.result();
  expect(summary).toMatchObject({ runs: 3, succeeded: 2, failed: 1 });
  const runs = new Map(
    readFileSync(join(dir, 'store', 'experiments', 'teardown', 'runs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RunRecord)
      .map((r) => [r.exampleId, r]),
  );
  if (simulated.size > 0) console.warn('sandbox-teardown-pipeline.test: chattr +i does not work here; the provider failed teardown itself');

  const deep = made.get('deep');
  expect(runs.get('deep')?.output).toMatchObject({ exitCode: 0, stdout: '{"what": "deep", "depth": 2500}' });
  expect(runs.get('deep')?.steps[0]?.warnings ?? []).toEqual((runs.get('deep')?.steps[0]?.warnings ?? []).filter((w) => !w.includes('teardown')));
  expect(deep && existsSync(deep.root)).toBe(false);

  for (const id of ['pinned', 'pinned-fail']) {
    const entry = made.get(id);
    expect(entry).toBeDefined();
    if (!entry) continue;
    const step = runs.get(id)?.steps[0];
    const warning = step?.warnings?.find((w) => w.startsWith(`sandbox ${entry.id}: `));
    expect(warning).toMatch(new RegExp(`^sandbox ${entry.id}: teardown left ${entry.root} on the host: \\S`));
    if (!simulated.has(entry.id)) {
      expect(warning).toContain('Operation not permitted');
      expect(existsSync(entry.root)).toBe(true); // really left there, as the warning says
    }
  }
  expect(runs.get('pinned')?.output).toMatchObject({ exitCode: 0 });
  expect(runs.get('pinned-fail')?.steps[0]?.error).toContain('failed after pinning');
}, 120_000);
