/**
 * The pipeline traced, end to end, into a real Phoenix and read back through its REST API: the
 * experiment's trace starts at the client; each run is a trace of its own, rooted at its example
 * workflow (CHAIN, or AGENT for an agent) and named on its run record, with its steps (CHAIN),
 * model calls (LLM), tool calls (TOOL) and evaluators (EVALUATOR) in OpenInference's terms, a
 * retried attempt as a span of its own, and a user's own span (plain @opentelemetry/api, no dxp
 * code) under the step it ran in. Payloads are bounded with a marker; the API key is on no span.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { defineAgent } from '../activities/tasks/agent';
import { defineTasks } from '../activities/tasks/define';
import type { RunRecord } from '../core/records';
import { LlmFake } from './fakes/llm';
import { startExperiment } from '../client/experiments';
import type { DevServer } from '../client/dev-server';
import { parseSpec } from '../client/spec-file';
import { tracingClientInterceptors, WORKFLOW_TRACING_MODULES } from '../workers/tracing';
import { dxpEnv, runDxp } from './helpers/cli';
import { projectSpans, startPhoenix, type PhoenixServer, type PhoenixSpan } from './helpers/phoenix';
import { waitFor } from './helpers/processes';
import { startTestServer, startTestWorker, tempDir, writeJsonl, type RunningWorker } from './helpers/temporal';


const project = 'dxp-pipeline-trace';
const taskQueue = 'tracing-pipeline';
let phoenix: PhoenixServer;
let server: DevServer;
let worker: RunningWorker | undefined;
let client: Client;
let dir: string;
let bundle: { code: string };

/** Example b's first step fails on its first attempt; example big's input is 100,000 characters. */
const traced = defineTasks({
  tasks: {
    'traced-steps': {
      steps: [
        {
          name: 'work',
          retry: { maximumAttempts: 2, initialInterval: '100ms' },
          run: (ctx) => {
            if (ctx.id === 'b' && ctx.attempt === 1) throw new Error('first attempt of b fails');
            // A user's span, as any OpenTelemetry-instrumented library would make it.
            return trace.getTracer('user-code').startActiveSpan('user-work', (span) => {
              span.setAttribute('user.example', ctx.id);
              span.end();
              return `done ${ctx.id}`;
            });
          },
        },
        { name: 'answer', run: ({ outputs }) => outputs.work },
      ],
    },
    'traced-agent': defineAgent({
      prompt: (ex) => `look up ${String(ex.input)}`,
      tools: {
        lookup: {
          description: 'Looks a word up.',
          parameters: { type: 'object', properties: { word: { type: 'string' } }, required: ['word'] },
          run: ({ word }: { word: string }) => `${word} means ${word.length} letters`,
        },
      },
    }),
  },
});
const llm = new LlmFake();
let llmUrl: string;


/** Waits until Phoenix has `ready(spans)`; the worker was stopped (its spans flushed) before. */
async function spansWhen(ready: (spans: PhoenixSpan[]) => boolean, what: string): Promise<PhoenixSpan[]> {
  let last = '';
  return waitFor(
    async () => {
      try {
        const spans = await projectSpans(phoenix, project);
        last = `${spans.length} spans: ${[...new Set(spans.map((s) => s.name))].join(', ')}`;
        return ready(spans) ? spans : undefined;
      } catch (err) {
        last = (err as Error).message;
        return undefined;
      }
    },
    { timeoutMs: 60_000, intervalMs: 500, describe: () => `${what} in Phoenix (last: ${last})` },
  );
}

function runsOf(name: string): RunRecord[] {
  return readFileSync(join(dir, 'store', 'experiments', name, 'runs.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RunRecord);
}

beforeAll(async () => {
  dir = tempDir('dxp-tracing-pipeline-');
  let llmStarted: { baseUrl: string };
  [phoenix, server, llmStarted] = await Promise.all([startPhoenix(), startTestServer(), llm.start()]);
  llmUrl = llmStarted.baseUrl;
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), workflowInterceptorModules: WORKFLOW_TRACING_MODULES, logger: new DefaultLogger('WARN') });
  worker = await startTestWorker(server, {
    dataDir: join(dir, 'store'),
    taskQueue,
    modules: [traced],
    workflowBundle: bundle,
    serviceEnv: {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: phoenix.tracesUrl,
      DXP_TRACE_PROJECT: project,
      OPENAI_BASE_URL: llmUrl,
      OPENAI_API_KEY: llm.apiKey,
      DXP_MODEL: 'fake-model',
    },
  });
  const connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: server.namespace, interceptors: tracingClientInterceptors() });
}, 240_000);

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
  await phoenix?.stop();
  await llm.stop();
});

test('each run is a trace of its own, named on its record: steps, the retried attempt, evaluators, the user span, bounded payloads', async () => {
  const rows = [{ id: 'a', input: 1, expected: 'done a' }, { id: 'b', input: 2, expected: 'done b' }, { id: 'big', input: 'x'.repeat(100_000), expected: 'no' }];
  const spec = parseSpec({ name: 'traced', dataset: { path: writeJsonl(dir, 'rows.jsonl', rows) }, task: 'traced-steps', evaluators: ['exact-match'], taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  expect(await handle.result()).toMatchObject({ runs: 3, succeeded: 3 });
  await worker!.stop(); // flushes the span pipeline
  worker = undefined;

  const records = new Map(runsOf('traced').map((r) => [r.exampleId, r]));
  for (const id of ['a', 'b', 'big']) expect(records.get(id)?.trace?.id).toMatch(/^[0-9a-f]{32}$/);
  const traceIds = [...records.values()].map((r) => r.trace!.id);
  expect(new Set(traceIds).size).toBe(3);
  const spans = await spansWhen(
    (all) => all.some((s) => s.name === 'StartWorkflow:experiment') && traceIds.every((t) => all.some((s) => s.context.trace_id === t && s.name === 'evaluator exact-match')),
    "the experiment's and every run's spans",
  );

  // The experiment's own trace: the client's start, the workflow, a start span per child; no run's spans.
  const start = spans.find((s) => s.name === 'StartWorkflow:experiment' && s.attributes.temporalWorkflowId === 'experiment/traced')!;
  const experimentTrace = spans.filter((s) => s.context.trace_id === start.context.trace_id);
  expect(experimentTrace.filter((s) => s.name === 'StartChildWorkflow:example')).toHaveLength(3);
  expect(experimentTrace.filter((s) => s.name === 'RunWorkflow:example')).toHaveLength(0);
  expect(traceIds).not.toContain(start.context.trace_id);

  for (const [id, record] of records) {
    const inRun = spans.filter((s) => s.context.trace_id === record.trace!.id);
    const byId = new Map(inRun.map((s) => [s.context.span_id, s]));
    const root = inRun.filter((s) => s.parent_id === null);
    expect(root.map((s) => s.name)).toEqual(['RunWorkflow:example']);
    expect(root[0]!.span_kind).toBe('CHAIN');
    expect(root[0]!.attributes).toMatchObject({ 'dxp.experiment': 'traced', 'dxp.example_id': id, 'dxp.repetition': 1, 'output.value': `done ${id}`, 'session.id': 'traced' });
    // The record's timestamp is the root span's start (Phoenix keeps microseconds; the record ms).
    expect(Math.abs(Date.parse(root[0]!.start_time) - record.trace!.timestamp)).toBeLessThan(2);
    const steps = inRun.filter((s) => s.name.startsWith('step '));
    for (const step of steps) {
      expect(step.span_kind).toBe('CHAIN');
      expect(byId.get(step.parent_id!)?.name).toBe('RunActivity:runTaskStep');
    }
    const user = inRun.filter((s) => s.name === 'user-work');
    expect(user).toHaveLength(1);
    expect(byId.get(user[0]!.parent_id!)?.name).toBe('step work');
    const evaluator = inRun.find((s) => s.name === 'evaluator exact-match')!;
    expect(evaluator.span_kind).toBe('EVALUATOR');
    expect(evaluator.attributes).toMatchObject({ 'evaluation.name': 'exact-match', 'evaluation.score': id === 'big' ? 0 : 1, 'dxp.example_id': id, 'dxp.experiment': 'traced' });
  }

  // The retried attempt is a span of its own in b's trace: attempt 1 failed, attempt 2 not.
  const work = spans.filter((s) => s.context.trace_id === records.get('b')!.trace!.id && s.name === 'step work');
  const byAttempt = new Map(work.map((s) => [s.attributes['dxp.attempt'], s.status_code]));
  expect([...byAttempt.keys()].sort()).toEqual([1, 2]);
  expect(byAttempt.get(1)).toBe('ERROR');
  expect(byAttempt.get(2)).not.toBe('ERROR');

  // A 100,000-character input is cut, with the marker, on the root and the step alike.
  const bigRun = spans.filter((s) => s.context.trace_id === records.get('big')!.trace!.id);
  for (const span of bigRun.filter((s) => s.name === 'RunWorkflow:example' || s.name === 'step work')) {
    const value = String(span.attributes['input.value']);
    expect(value.length).toBeLessThanOrEqual(16 * 1024);
    expect(value).toMatch(/…\[dxp: cut \d+ of 100000 characters\]$/);
  }
}, 180_000);

test('an agent run: an AGENT root, an LLM span per turn with the model, tokens and messages, a TOOL span per call; no API key on any span', async () => {
  const agentQueue = 'tracing-pipeline-agent';
  llm.reset();
  llm.respondWith((body) =>
    (body.messages ?? []).some((m) => m.role === 'tool')
      ? { content: 'it has letters', usage: { prompt: 30, completion: 4 } }
      : { toolCalls: [{ name: 'lookup', arguments: { word: 'durable' } }], usage: { prompt: 20, completion: 6 } },
  );
  const agentWorker = await startTestWorker(server, {
    dataDir: join(dir, 'store'),
    taskQueue: agentQueue,
    modules: [traced],
    workflowBundle: bundle,
    serviceEnv: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: phoenix.tracesUrl, DXP_TRACE_PROJECT: project, OPENAI_BASE_URL: llmUrl, OPENAI_API_KEY: llm.apiKey, DXP_MODEL: 'fake-model' },
  });
  try {
    const spec = parseSpec({ name: 'traced-agent', dataset: { path: writeJsonl(dir, 'agent-rows.jsonl', [{ id: 'w', input: 'durable' }]) }, task: 'traced-agent', taskQueue: agentQueue });
    const { handle } = await startExperiment(client, spec, agentQueue);
    expect(await handle.result()).toMatchObject({ runs: 1, succeeded: 1 });
  } finally {
    await agentWorker.stop();
  }
  const record = runsOf('traced-agent')[0]!;
  const traceId = record.trace!.id;
  const all = await spansWhen((s) => s.filter((x) => x.context.trace_id === traceId && x.span_kind === 'LLM').length === 2, "the agent run's spans");
  const spans = all.filter((s) => s.context.trace_id === traceId);
  const byId = new Map(spans.map((s) => [s.context.span_id, s]));
  const root = spans.find((s) => s.parent_id === null)!;
  expect(root).toMatchObject({ name: 'RunWorkflow:example', span_kind: 'AGENT' });
  expect(root.attributes).toMatchObject({ 'agent.name': 'traced-agent', 'input.value': 'durable', 'output.value': 'it has letters' });

  const turns = spans.filter((s) => s.span_kind === 'LLM');
  for (const turn of turns) {
    expect(turn.name).toBe('chat fake-model');
    // The turn's activity span says which run and turn; the model client's LLM span under it, the call.
    expect(byId.get(turn.parent_id!)).toMatchObject({ name: 'RunActivity:agentTurn', attributes: { 'dxp.example_id': 'w', 'dxp.turn': expect.any(Number), 'dxp.attempt': 1 } });
    expect(turn.attributes).toMatchObject({ 'llm.model_name': 'fake-model', 'llm.input_messages.0.message.role': 'user', 'llm.input_messages.0.message.content': 'look up durable' });
  }
  const tokens = turns.map((t) => ({ prompt: t.attributes['llm.token_count.prompt'] as number, completion: t.attributes['llm.token_count.completion'], total: t.attributes['llm.token_count.total'] }));
  expect(tokens.sort((x, y) => x.prompt - y.prompt)).toEqual([{ prompt: 20, completion: 6, total: 26 }, { prompt: 30, completion: 4, total: 34 }]);
  const firstTurn = turns.find((t) => t.attributes['llm.token_count.prompt'] === 20)!;
  expect(firstTurn.attributes).toMatchObject({ 'llm.output_messages.0.message.role': 'assistant', 'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'lookup' });

  const tool = spans.find((s) => s.span_kind === 'TOOL')!;
  expect(tool).toMatchObject({ name: 'tool lookup' });
  expect(byId.get(tool.parent_id!)?.name).toBe('RunActivity:agentTool');
  expect(tool.attributes).toMatchObject({ 'tool.name': 'lookup', 'tool.description': 'Looks a word up.', 'output.value': 'durable means 7 letters', 'dxp.example_id': 'w' });

  // The canary: the model's API key went in every request's header and onto no span.
  expect(llm.requests().length).toBe(2);
  expect(JSON.stringify(all)).not.toContain(llm.apiKey);
}, 180_000);

test('`dxp run` with the same settings makes the start the root of the trace the workers carry on', async () => {
  const cliQueue = 'tracing-pipeline-cli';
  const cliWorker = await startTestWorker(server, {
    dataDir: join(dir, 'store-cli'),
    taskQueue: cliQueue,
    modules: [traced],
    workflowBundle: bundle,
    serviceEnv: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: phoenix.tracesUrl, DXP_TRACE_PROJECT: project },
  });
  try {
    const specPath = join(dir, 'traced-cli.yaml');
    writeFileSync(specPath, `name: traced-cli\ndataset: { path: ${JSON.stringify(writeJsonl(dir, 'cli-rows.jsonl', [{ id: 'c', input: 3 }]))} }\ntask: traced-steps\n`);
    const result = await runDxp(['run', specPath, '--wait', '--task-queue', cliQueue], {
      cwd: dir,
      env: dxpEnv({ TEMPORAL_ADDRESS: server.address, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: phoenix.tracesUrl, DXP_TRACE_PROJECT: project }),
    });
    expect(result.code).toBe(0);
  } finally {
    await cliWorker.stop();
  }
  let last = '';
  const { start, run } = await waitFor(
    async () => {
      try {
        const spans = await projectSpans(phoenix, project);
        const start = spans.find((s) => s.name === 'StartWorkflow:experiment' && s.attributes.temporalWorkflowId === 'experiment/traced-cli');
        const run = start && spans.find((s) => s.name === 'RunWorkflow:experiment' && s.parent_id === start.context.span_id);
        last = `start ${start ? 'found' : 'missing'}, run ${run ? 'found' : 'missing'}`;
        return start && run ? { start, run } : undefined;
      } catch (err) {
        last = (err as Error).message;
        return undefined;
      }
    },
    { timeoutMs: 60_000, intervalMs: 500, describe: () => `the CLI's start span and the experiment's run under it (last: ${last})` },
  );
  expect(start.parent_id).toBeNull();
  expect(run.context.trace_id).toBe(start.context.trace_id);
}, 180_000);

test('`dxp run` refuses a bad tracing setting before it starts anything, naming the variable', async () => {
  const result = await runDxp(['run', join(dir, 'traced-cli.yaml')], {
    cwd: dir,
    env: dxpEnv({ TEMPORAL_ADDRESS: server.address, OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector' }),
  });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('tracing: OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL');
  expect(result.stdout).not.toContain('Started');
});
