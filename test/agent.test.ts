/**
 * The durable agent loop on a real dev server with real worker processes, against the loopback
 * fake LLM (whose request log counts every model call) and tools that log every execution.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { toArizeRun } from '../activities/arize/runs';
import type { ExperimentSpecInput } from '../core/spec';
import type { ExperimentSummary, RunRecord } from '../core/records';
import { LlmFake, type ChatRequestBody, type ScriptedReply } from './fakes/llm';
import type { ToolLedgerEntry } from './fixtures/agent-tasks';
import { killAllWorkerProcesses, PROJECT_ROOT, startWorkerProcess, waitFor, type WorkerProcess } from './helpers/processes';
import { connectTestClient, recordHistory, startTestServer, tempDir, workflowBundleFile, writeJsonl } from './helpers/temporal';

const AGENT_TASKS = join(PROJECT_ROOT, 'test', 'fixtures', 'agent-tasks.ts');
const TASK_QUEUE = 'agent-tests';
const USAGE = { prompt: 100, completion: 10 };
/** USD per million tokens: 1 in, 2 out. */
const PRICES = { 'fake-model': { input: 1, output: 2 } };

let dir: string;
let server: DevServer;
let client: Client;
let fake: LlmFake;
let baseUrl: string;
let bundle: string;
let worker: WorkerProcess;
/** Turns of these "example id/turn" keys answer slowly once (the crash test kills the worker meanwhile). */
const slowOnce = new Set<string>();

beforeAll(async () => {
  dir = tempDir('dxp-agent-');
  fake = new LlmFake();
  [{ baseUrl }, server, bundle] = await Promise.all([fake.start(), startTestServer({
      dbFile: join(dir, 'temporal.db'),
      // Early continue-as-new suggestions, so a dozen turns make a long conversation.
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 60 },
    }), workflowBundleFile()]);
  fake.respondWith(adderPolicy);
  client = await connectTestClient(server);
  worker = await startAgentWorker('worker', TASK_QUEUE);
});

afterAll(async () => {
  await killAllWorkerProcesses();
  await client?.connection.close().catch(() => undefined);
  await server?.stop();
  await fake?.stop();
});

function startAgentWorker(name: string, taskQueue: string): Promise<WorkerProcess> {
  return startWorkerProcess({
    name,
    address: server.address,
    namespace: server.namespace,
    taskQueue,
    dataDir: join(dir, 'store'),
    workflowBundle: bundle,
    ledger: join(dir, `${taskQueue}.ledger.jsonl`),
    tasks: AGENT_TASKS,
    env: {
      OPENAI_BASE_URL: baseUrl,
      OPENAI_API_KEY: fake.apiKey,
      DXP_MODEL: 'fake-model',
      DXP_MODEL_PRICES: JSON.stringify(PRICES),
    },
  });
}

/**
 * The scripted model: adds the example's numbers one `add` call per turn, reading the running
 * sum from the last tool result, then answers `sum=<n>`. Example `misuse` calls tools wrongly once.
 */
function adderPolicy(body: ChatRequestBody): ScriptedReply {
  const messages = body.messages ?? [];
  const prompt = String(messages.find((m) => m.role === 'user')?.content ?? '');
  const [, id, list] = /^example (\S+): add (.*)$/.exec(prompt) ?? [];
  if (!id || !list) return { content: `unexpected prompt: ${prompt}` };
  const done = messages.filter((m) => m.role === 'assistant').length;
  const toolResults = messages.filter((m) => m.role === 'tool').map((m) => String(m.content));
  if (id.startsWith('misuse')) {
    if (done === 0) {
      return {
        toolCalls: [
          { name: 'nope', arguments: {} },
          { name: 'add', arguments: '[1, 2]' },
          { name: 'broken', arguments: {} },
          { name: 'flaky', arguments: {} },
        ],
        usage: USAGE,
      };
    }
    return { content: `seen: ${toolResults.join(' | ')}`, usage: USAGE };
  }
  const nums = JSON.parse(list) as number[];
  const running = done === 0 ? nums[0]! : Number(toolResults.at(-1));
  const key = `${id}/${done + 1}`;
  const delayMs = slowOnce.delete(key) ? 60_000 : undefined;
  if (done < nums.length - 1) {
    return { toolCalls: [{ name: 'add', arguments: { a: running, b: nums[done + 1] } }], usage: USAGE, ...(delayMs ? { delayMs } : {}) };
  }
  return { content: `sum=${running}`, usage: { prompt: USAGE.prompt, completion: 5 }, ...(delayMs ? { delayMs } : {}) };
}

/** Model requests for one example, by turn (1-based), from the fake's log. */
function requestsByTurn(exampleId: string): Map<number, number> {
  const byTurn = new Map<number, number>();
  for (const entry of fake.requests()) {
    const messages = entry.body?.messages ?? [];
    if (!String(messages.find((m) => m.role === 'user')?.content ?? '').startsWith(`example ${exampleId}:`)) continue;
    const turn = messages.filter((m) => m.role === 'assistant').length + 1;
    byTurn.set(turn, (byTurn.get(turn) ?? 0) + 1);
  }
  return byTurn;
}

function toolLedger(taskQueue: string): ToolLedgerEntry[] {
  const path = join(dir, `${taskQueue}.ledger.jsonl`);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ToolLedgerEntry);
}

async function runExperiment(
  name: string,
  rows: Array<{ id: string; input: unknown }>,
  overrides: Partial<ExperimentSpecInput> = {},
  taskQueue = TASK_QUEUE,
): Promise<{ summary: ExperimentSummary; byId: Map<string, RunRecord>; workflowId: string }> {
  const spec = parseSpec({
    name,
    dataset: { path: writeJsonl(dir, `${name}.jsonl`, rows) },
    task: 'adder',
    concurrency: 4,
    taskQueue,
    ...overrides,
  });
  const { handle } = await startExperiment(client, spec, taskQueue);
  const summary = (await handle.result()) as ExperimentSummary;
  const runs = readFileSync(join(dir, 'store', 'experiments', name, 'runs.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RunRecord);
  return { summary, byId: new Map(runs.map((r) => [r.exampleId, r])), workflowId: handle.workflowId };
}

test('an agent adds over several turns: each turn and tool call its own activity, usage and cost on the run', async () => {
  const { summary, byId, workflowId } = await runExperiment('adds', [
    { id: 'three', input: [1, 2, 3] },
    { id: 'one', input: [7] },
    { id: 'misuse', input: [] },
  ]);
  expect(summary).toMatchObject({ runs: 3, succeeded: 3, failed: 0 });
  // 3 + 1 + 2 turns at 100 prompt tokens each; completions: 10 a turn, but 5 for the adder's answers.
  expect(summary.agent).toEqual({ turns: 6, toolCalls: 6, promptTokens: 600, completionTokens: 50, totalTokens: 650, costUsd: (600 + 100) / 1e6 });

  const three = byId.get('three')!;
  expect(three.output).toEqual({ answer: 'sum=6', turns: 3 });
  expect(three.steps.map((s) => s.name)).toEqual(['turn 1', 'turn 1 tool add', 'turn 2', 'turn 2 tool add', 'turn 3', 'output']);
  expect(three.agent).toEqual({
    stopReason: 'answer',
    turns: 3,
    toolCalls: 2,
    toolErrors: 0,
    promptTokens: 300,
    completionTokens: 25,
    totalTokens: 325,
    costUsd: (300 * 1 + 25 * 2) / 1e6,
    models: ['fake-model'],
  });
  expect([...requestsByTurn('three').values()]).toEqual([1, 1, 1]);
  expect(toArizeRun(three, 'wf')).toMatchObject({
    'llm.token_count.prompt': 300,
    'llm.token_count.completion': 25,
    'llm.token_count.total': 325,
    cost_usd: 0.00035,
    'agent.turns': 3,
    'agent.tool_calls': 2,
    'agent.stop_reason': 'answer',
  });
  expect(byId.get('one')?.output).toEqual({ answer: 'sum=7', turns: 1 });

  // Misused tools are told to the model, which carries on; the flaky one succeeds on its retry.
  const misuse = byId.get('misuse')!;
  const answer = (misuse.output as { answer: string }).answer;
  expect(answer).toContain("error: unknown tool 'nope'; the tools are: add, flaky, broken");
  expect(answer).toContain("error: the arguments of 'add' must be a JSON object");
  expect(answer).toContain('error: NonRetryableError: the broken tool is broken');
  expect(answer).toContain('{"ok":true,"attempt":2}');
  expect(misuse.agent).toMatchObject({ stopReason: 'answer', turns: 2, toolCalls: 4, toolErrors: 3 });

  const adds = toolLedger(TASK_QUEUE).filter((e) => e.exampleId === 'three');
  expect(adds.map((e) => [e.turn, e.attempt])).toEqual([
    [1, 1],
    [2, 1],
  ]);
  await recordHistory(client, three.workflowId, 'example-agent.json');
  expect(three.workflowId).toBe(`${workflowId}/example/three/rep/1`);
});

test('model turns run on the model task queue; the UI shows where the conversation is', async () => {
  const { workflowId } = await runExperiment('queues', [{ id: 'q', input: [1, 2] }]);
  const child = `${workflowId}/example/q/rep/1`;
  const history = await client.workflow.getHandle(child).fetchHistory();
  const scheduled = (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((a): a is NonNullable<typeof a> => Boolean(a))
    .map((a) => `${a.activityType?.name}@${a.taskQueue?.name}`);
  expect(scheduled).toEqual([
    `agentTurn@${TASK_QUEUE}-model`,
    `agentTool@${TASK_QUEUE}`,
    `agentTurn@${TASK_QUEUE}-model`,
    `agentOutput@${TASK_QUEUE}`,
  ]);
  // The Temporal UI's "current details" of the example say where the conversation is.
  const metadata = (await client.workflow.getHandle(child).query('__temporal_workflow_metadata')) as { currentDetails?: string };
  expect(metadata.currentDetails).toBe('**agent** turn 2 of 10: 215 tokens, 1 tool calls so far');
});

test('a long conversation continues as new at a turn boundary and loses nothing', async () => {
  const numbers = Array.from({ length: 12 }, (_, i) => i + 1);
  const { byId } = await runExperiment('long-talk', [{ id: 'long-talk', input: numbers }], { agent: { maxTurns: 20 } });
  const run = byId.get('long-talk')!;
  expect(run.output).toEqual({ answer: 'sum=78', turns: 12 });
  expect(run.agent).toMatchObject({ stopReason: 'answer', turns: 12, toolCalls: 11, promptTokens: 1200 });
  expect(run.steps.filter((s) => /^turn \d+$/.test(s.name))).toHaveLength(12);
  expect(Object.values(Object.fromEntries(requestsByTurn('long-talk')))).toEqual(Array(12).fill(1));
  // The run that finished is not the first: its start event names the run it continued.
  const history = await client.workflow.getHandle(run.workflowId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  expect(started?.continuedExecutionRunId).toBeTruthy();
  expect(started?.input?.payloads?.length).toBe(1);
  await recordHistory(client, run.workflowId, 'example-agent-continued.json');
});

test('the turn limit and the token budget end a run with the reason; the budget caps each answer', async () => {
  const turns = await runExperiment('turn-limit', [{ id: 'long', input: [1, 2, 3, 4] }], { agent: { maxTurns: 2 } });
  const long = turns.byId.get('long')!;
  expect(long.error).toBe('agent reached its turn limit (2 turns) without a final answer');
  expect(long.agent).toMatchObject({ stopReason: 'max-turns', turns: 2 });
  expect(turns.summary.failed).toBe(1);

  const budget = await runExperiment('budget', [{ id: 'costly', input: [1, 2, 3, 4] }], { agent: { tokenBudget: 150 } });
  const costly = budget.byId.get('costly')!;
  expect(costly.agent).toMatchObject({ stopReason: 'token-budget', turns: 2, totalTokens: 220 });
  expect(costly.error).toMatch(/token budget \(220 of 150 tokens\) in 2 turns/);
  // Turn 2 was asked for at most the 40 tokens left after turn 1's 110.
  const second = fake.requests().find((e) => {
    const m = e.body?.messages ?? [];
    return String(m[1]?.content).startsWith('example costly:') && m.filter((x) => x.role === 'assistant').length === 1;
  });
  expect(second?.body?.max_tokens).toBe(40);
});

test("a model 429 waits for Retry-After and retries the turn alone: no tool runs twice", async () => {
  fake.fault({ kind: '429', retryAfterSeconds: 1 });
  const started = Date.now();
  const { byId } = await runExperiment('rate-limited', [{ id: 'limited', input: [2, 3] }]);
  const run = byId.get('limited')!;
  expect(run.output).toEqual({ answer: 'sum=5', turns: 2 });
  expect(run.steps[0]).toMatchObject({ name: 'turn 1', attempts: 2 });
  expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  expect(toolLedger(TASK_QUEUE).filter((e) => e.exampleId === 'limited')).toHaveLength(1);
  expect(requestsByTurn('limited').get(1)).toBe(2);
});

test('a model error that retrying cannot fix ends the run with the reason and the attempts', async () => {
  fake.fault({ kind: 'status', status: 400, message: 'context too long' });
  const { byId } = await runExperiment('rejected', [{ id: 'rejected', input: [1, 2] }]);
  const run = byId.get('rejected')!;
  expect(run.error).toMatch(/^turn 1 failed: ModelRejected: .*400.*context too long/);
  expect(run.agent).toMatchObject({ stopReason: 'error', turns: 0 });
  expect(run.steps).toEqual([expect.objectContaining({ name: 'turn 1', attempts: 1 })]);
  expect(requestsByTurn('rejected').get(1)).toBe(1);
});

test('a worker SIGKILLed mid-conversation: the next worker resumes at the in-flight turn, no completed call repeated', async () => {
  const taskQueue = 'agent-crash';
  const workerA = await startAgentWorker('worker A', taskQueue);
  slowOnce.add('crash/3');
  const spec = parseSpec({
    name: 'agent-crash',
    dataset: { path: writeJsonl(dir, 'agent-crash.jsonl', [{ id: 'crash', input: [1, 2, 3, 4, 5] }]) },
    task: 'adder',
    taskQueue,
  });
  const { handle } = await startExperiment(client, spec, taskQueue);
  // Turn 3's request is in flight (the fake holds it): kill the worker now.
  await waitFor(() => (requestsByTurn('crash').get(3) ?? 0) >= 1, {
    timeoutMs: 60_000,
    describe: () => `turn 3 never asked: ${JSON.stringify([...requestsByTurn('crash')])}`,
  });
  await workerA.kill();
  const workerB = await startAgentWorker('worker B', taskQueue);
  const summary = (await handle.result()) as ExperimentSummary;
  expect(summary).toMatchObject({ succeeded: 1, failed: 0 });

  // Turns 1 and 2 were paid once; turn 3 twice (the call in flight at the kill); 4 and 5 once.
  expect(Object.fromEntries(requestsByTurn('crash'))).toEqual({ 1: 1, 2: 1, 3: 2, 4: 1, 5: 1 });
  const adds = toolLedger(taskQueue).filter((e) => e.exampleId === 'crash');
  expect(adds.map((e) => e.turn)).toEqual([1, 2, 3, 4]);
  const run = JSON.parse(readFileSync(join(dir, 'store', 'experiments', 'agent-crash', 'runs.jsonl'), 'utf8').trim()) as RunRecord;
  expect(run.output).toEqual({ answer: 'sum=15', turns: 5 });
  expect(run.steps.find((s) => s.name === 'turn 3')?.attempts).toBe(2);
  await recordHistory(client, run.workflowId, 'example-agent-crash.json');
  await workerB.stop();
  expect(worker.isRunning()).toBe(true);
});
