/**
 * A task module's own sandbox provider (how a Docker or remote provider plugs in): the worker
 * that loads the module hands it to every `ctx.sandbox()`, over DXP_SANDBOX, and the step scope
 * still tears down what it provisioned. A real dev server and an in-process worker.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { createSandboxProvider, type ProvisionOptions, type Sandbox, type SandboxProvider } from '../activities/sandbox';
import { defineTasks } from '../activities/tasks/define';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import type { RunRecord } from '../core/records';
import { connectTestClient, startTestServer, startTestWorker, tempDir, writeJsonl, type RunningWorker } from './helpers/temporal';

const NOTE = 'test provider: runs on the weak provider, with a log';

/** Stands for a Docker or remote provider: delegates to the weak one and logs what it is asked. */
class LoggingProvider implements SandboxProvider {
  readonly name = 'logging';
  readonly isolation = 'weak';
  readonly warnings = [NOTE];
  readonly provisioned: string[] = [];
  readonly tornDown: string[] = [];
  constructor(private readonly inner: SandboxProvider) {}
  async provision(opts?: ProvisionOptions): Promise<Sandbox> {
    const sandbox = await this.inner.provision(opts);
    this.provisioned.push(sandbox.id);
    const tornDown = this.tornDown;
    return Object.assign(Object.create(sandbox) as Sandbox, {
      warnings: [NOTE],
      run: sandbox.run.bind(sandbox),
      async teardown() {
        tornDown.push(sandbox.id);
        await sandbox.teardown();
      },
    });
  }
}

let provider: LoggingProvider;
let server: DevServer;
let client: Client;
let worker: RunningWorker;
let dir: string;
const taskQueue = 'sandbox-provider-test';

const tasks = defineTasks({
  sandboxProvider: async () => (provider = new LoggingProvider(await createSandboxProvider({ prefer: 'weak' }))),
  tasks: {
    'echo-in-sandbox': async (row, ctx) => {
      const sandbox = await ctx.sandbox();
      const run = await sandbox.run(['sh', '-c', 'cat'], { stdin: String(row.input) });
      return run.stdout;
    },
  },
});

beforeAll(async () => {
  dir = tempDir('dxp-sandbox-provider-');
  server = await startTestServer();
  client = await connectTestClient(server);
  worker = await startTestWorker(server, { dataDir: join(dir, 'store'), taskQueue, modules: [tasks] });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
});

test("a module's sandboxProvider serves every ctx.sandbox(), its warnings reach the run record, and each sandbox is torn down", async () => {
  const spec = parseSpec({
    name: 'own-provider',
    dataset: { path: writeJsonl(dir, 'rows.jsonl', [{ id: 'a', input: 'alpha' }, { id: 'b', input: 'beta' }]) },
    task: 'echo-in-sandbox',
    taskQueue,
  });
  const { handle } = await startExperiment(client, spec, taskQueue);
  await handle.result();
  const runs = readFileSync(join(dir, 'store', 'experiments', 'own-provider', 'runs.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as RunRecord);
  expect(Object.fromEntries(runs.map((r) => [r.exampleId, r.output]))).toEqual({ a: 'alpha', b: 'beta' });
  for (const run of runs) expect(run.steps[0]?.warnings).toEqual([NOTE]);
  expect(provider.provisioned).toHaveLength(2);
  expect([...provider.tornDown].sort()).toEqual([...provider.provisioned].sort());
});
