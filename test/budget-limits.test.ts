/**
 * Budget limits that pause, not fail: an agent experiment reaches its token budget and pauses with
 * the reason (in flight finishes, nothing new starts), a plain resume is refused while the limit
 * still holds, `--raise-budget` carries on and no run is paid for twice; a failure limit with
 * `onLimit: stop` stops the experiment before the rest of the dataset is burnt. Real dev server,
 * real worker, the loopback model.
 */
import { join } from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { defineAgent } from '../activities/tasks/agent';
import { defineTasks } from '../activities/tasks/define';
import { limitReached, raiseLimits } from '../core/budget';
import type { DevServer } from '../client/dev-server';
import { getExperimentHandle, queryProgress, startExperiment } from '../client/experiments';
import { OperationRefusedError, resumeExperiment } from '../client/operate';
import { parseSpec, SpecError } from '../client/spec-file';
import { LlmFake } from './fakes/llm';
import { dxpEnv, runDxp } from './helpers/cli';
import { waitFor } from './helpers/processes';
import { connectTestClient, startTestServer, startTestWorker, tempDir, writeJsonl, type RunningWorker } from './helpers/temporal';

const taskQueue = 'budget-limits';
const llm = new LlmFake();
let dir: string;
let server: DevServer;
let client: Client;
let worker: RunningWorker;

const tasks = defineTasks({
  tasks: {
    'one-turn': defineAgent({ prompt: (ex) => `answer ${String(ex.input)}` }),
  },
});

beforeAll(async () => {
  dir = tempDir('dxp-budget-');
  const [{ baseUrl }, srv] = await Promise.all([llm.start(), startTestServer()]);
  server = srv;
  llm.respondWith(() => ({ content: 'done', usage: { prompt: 100, completion: 10 } }));
  client = await connectTestClient(server);
  worker = await startTestWorker(server, {
    dataDir: join(dir, 'store'),
    taskQueue,
    modules: [tasks],
    serviceEnv: { OPENAI_BASE_URL: baseUrl, OPENAI_API_KEY: llm.apiKey, DXP_MODEL: 'fake-model' },
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
  await llm.stop();
});

test('limits: reached at the budget, failures over the count, a rate only from 10 runs on; a raise replaces field by field', () => {
  const usage = { tokens: 300, costUsd: 0.5, runs: 9, failed: 5 };
  expect(limitReached({ tokens: 301 }, usage)).toBeUndefined();
  expect(limitReached({ tokens: 300 }, usage)).toBe('budget: 300 of 300 tokens used');
  expect(limitReached({ costUsd: 0.5 }, usage)).toBe('budget: $0.5 of $0.5 spent');
  expect(limitReached({ maxFailures: 5 }, usage)).toBeUndefined();
  expect(limitReached({ maxFailures: 4 }, usage)).toBe('failures: 5 runs failed, more than maxFailures 4');
  expect(limitReached({ maxFailureRate: 0.1 }, usage)).toBeUndefined(); // 9 runs: too few to judge a rate
  expect(limitReached({ maxFailureRate: 0.1 }, { ...usage, runs: 10 })).toBe('failures: 5 of 10 runs failed, more than maxFailureRate 0.1');
  expect(limitReached(undefined, usage)).toBeUndefined();
  expect(raiseLimits({ tokens: 300, maxFailures: 2 }, { tokens: 1_000 })).toEqual({ tokens: 1_000, maxFailures: 2 });
});

test('a spec budget must name a limit', () => {
  expect(() => parseSpec({ name: 'x', dataset: { path: 'x.jsonl' }, task: 't', budget: {} })).toThrow(SpecError);
  expect(() => parseSpec({ name: 'x', dataset: { path: 'x.jsonl' }, task: 't', budget: {} })).toThrow(/give at least one of tokens, costUsd, maxFailures, maxFailureRate/);
});

test('the token budget pauses the experiment with the reason; a plain resume is refused; --raise-budget carries on, paying for no run twice', async () => {
  const rows = Array.from({ length: 8 }, (_, i) => ({ id: `q${i}`, input: i }));
  const spec = parseSpec({ name: 'tokens', dataset: { path: writeJsonl(dir, 'tokens.jsonl', rows) }, task: 'one-turn', concurrency: 1, budget: { tokens: 300 }, taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  const progress = await waitFor(async () => {
    const p = await queryProgress(handle);
    return p.paused ? p : undefined;
  }, { timeoutMs: 60_000, describe: () => 'the experiment to pause at its budget' });
  // 110 tokens a run, one at a time: the third run reaches 300.
  expect(progress.paused).toMatchObject({ by: 'dxp (limit)', reason: 'budget: 330 of 300 tokens used' });
  await new Promise((r) => setTimeout(r, 1_000));
  const atPause = await queryProgress(handle);
  expect(atPause.counts.succeeded + atPause.counts.failed).toBe(3);
  expect(atPause.running).toBe(0);
  expect(llm.callCount()).toBe(3);
  const details = (await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails;
  expect(details).toContain('paused (by dxp (limit), since');

  await expect(resumeExperiment(client, 'tokens')).rejects.toThrow(OperationRefusedError);
  await expect(resumeExperiment(client, 'tokens')).rejects.toThrow(/330 of 300 tokens used: resume with a higher limit/);
  const tooLittle = await runDxp(['resume', 'tokens', '--raise-budget', 'tokens=320'], { cwd: dir, env: dxpEnv({ TEMPORAL_ADDRESS: server.address }) });
  expect(tooLittle.code).toBe(2);
  const raised = await runDxp(['resume', 'tokens', '--raise-budget', 'tokens=100000'], { cwd: dir, env: dxpEnv({ TEMPORAL_ADDRESS: server.address }) });
  expect(raised.code).toBe(0);
  const summary = await handle.result();
  expect(summary).toMatchObject({ runs: 8, succeeded: 8 });
  expect(summary.agent?.totalTokens).toBe(880);
  expect(llm.callCount()).toBe(8);
}, 120_000);

test('a failure limit with onLimit: stop fails the experiment before it burns the rest of the dataset', async () => {
  // demo-calculator fails on a division by zero; one at a time, the second failure stops it.
  const rows = ['1 / 0', '2 + 2', '3 / 0', '4 + 4', '5 / 0', '6 + 6', '7 + 7', '8 + 8'].map((q, i) => ({ id: `r${i}`, input: `What is ${q}?` }));
  const spec = parseSpec({ name: 'failing', dataset: { path: writeJsonl(dir, 'failing.jsonl', rows) }, task: 'demo-calculator', concurrency: 1, budget: { maxFailures: 1, onLimit: 'stop' }, taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  const error = await handle.result().then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect((error as WorkflowFailedError).cause?.message).toBe('stopped: failures: 2 runs failed, more than maxFailures 1');
  const stored = await getExperimentHandle(client, 'failing').describe();
  expect(stored.status.name).toBe('FAILED');
  const runs = (await import('node:fs')).readFileSync(join(dir, 'store', 'experiments', 'failing', 'runs.jsonl'), 'utf8').split('\n').filter(Boolean);
  expect(runs).toHaveLength(3); // r0 failed, r1 passed, r2 failed: the limit; r3..r7 never ran
}, 120_000);
