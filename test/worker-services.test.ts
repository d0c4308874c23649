/**
 * Services are passed in, per worker: two workers in one process keep their own sandbox provider
 * (a task module's) and their own model client (their own settings), with no process-wide state
 * between them. Before, the last worker made in a process set the sandbox provider of all of them.
 */
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { createSandboxProvider } from '../activities/sandbox';
import type { SandboxProvider } from '../activities/sandbox/types';
import { defineTasks, type TaskModule } from '../activities/tasks/define';
import { startExperiment } from '../client/experiments';
import type { DevServer } from '../client/dev-server';
import { parseSpec } from '../client/spec-file';
import type { RunRecord } from '../core/records';
import { LlmFake } from './fakes/llm';
import { readFileSync } from 'node:fs';
import { connectTestClient, startTestServer, startTestWorker, tempDir, writeJsonl, type RunningWorker } from './helpers/temporal';

let server: DevServer;
let client: Client;
let fake: LlmFake;
let baseUrl: string;
let dir: string;
const workers: RunningWorker[] = [];
/** Which provider provisioned each sandbox, by the worker that owns the provider. */
const provisioned: Record<string, string[]> = { a: [], b: [] };

/** A weak provider that records which example each sandbox was for. */
function taggedProvider(tag: 'a' | 'b'): () => Promise<SandboxProvider> {
  return async () => {
    const inner = await createSandboxProvider({ prefer: 'weak' });
    return {
      name: `tagged-${tag}`,
      isolation: inner.isolation,
      warnings: inner.warnings,
      provision: async (opts) => {
        provisioned[tag]!.push('sandbox');
        return inner.provision(opts);
      },
    };
  };
}

/** The one task of worker `tag`: a sandbox, and a model call with the worker's model client. */
function moduleOf(tag: 'a' | 'b'): TaskModule {
  return defineTasks({
    sandboxProvider: taggedProvider(tag),
    tasks: {
      [`services-${tag}`]: async (_row, ctx) => {
        const sandbox = await ctx.sandbox();
        const echoed = (await sandbox.run(['sh', '-c', `echo ${tag}`])).stdout.trim();
        const answer = await ctx.model().chat({ messages: [{ role: 'user', content: `worker ${tag}` }] }, { signal: ctx.signal });
        return { echoed, model: answer.model, content: answer.message.content };
      },
    },
  });
}

beforeAll(async () => {
  dir = tempDir('dxp-worker-services-');
  fake = new LlmFake();
  ({ baseUrl } = await fake.start());
  fake.respondWith((body) => ({ content: `hello ${String(body.model)}` }));
  server = await startTestServer();
  client = await connectTestClient(server);
  // Both workers in this one process; b is made last.
  for (const tag of ['a', 'b'] as const) {
    workers.push(
      await startTestWorker(server, {
        dataDir: join(dir, `store-${tag}`),
        taskQueue: `services-${tag}`,
        modules: [moduleOf(tag)],
        serviceEnv: { OPENAI_BASE_URL: baseUrl, OPENAI_API_KEY: fake.apiKey, DXP_MODEL: `model-${tag}` },
      }),
    );
  }
});

afterAll(async () => {
  for (const worker of workers) await worker.stop();
  await client?.connection.close();
  await server?.stop();
  await fake?.stop();
});

test('each worker uses its own sandbox provider and its own model client, though both live in one process', async () => {
  const rows = [1, 2, 3].map((n) => ({ id: `e${n}`, input: n }));
  for (const tag of ['a', 'b'] as const) {
    const spec = parseSpec({ name: `services-${tag}`, dataset: { path: writeJsonl(dir, `${tag}.jsonl`, rows) }, task: `services-${tag}`, taskQueue: `services-${tag}` });
    const { handle } = await startExperiment(client, spec, spec.taskQueue);
    expect(await handle.result()).toMatchObject({ runs: 3, succeeded: 3 });
  }
  expect(provisioned).toEqual({ a: ['sandbox', 'sandbox', 'sandbox'], b: ['sandbox', 'sandbox', 'sandbox'] });
  for (const tag of ['a', 'b'] as const) {
    const runs = readFileSync(join(dir, `store-${tag}`, 'experiments', `services-${tag}`, 'runs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RunRecord);
    expect(runs.map((r) => r.output)).toEqual(rows.map(() => ({ echoed: tag, model: `model-${tag}`, content: `hello model-${tag}` })));
  }
  expect(fake.requests().map((r) => r.body?.model).sort()).toEqual(['model-a', 'model-a', 'model-a', 'model-b', 'model-b', 'model-b']);
});
