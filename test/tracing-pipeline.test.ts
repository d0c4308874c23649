/**
 * The pipeline traced, end to end, into a real Phoenix: one trace follows an experiment from the
 * client's start through the experiment workflow, each example's child workflow and its step
 * activities; a user's own span inside a step (plain @opentelemetry/api, no dxp code) is a child
 * of that step's activity span. Read back through Phoenix's REST API.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { defineTasks } from '../activities/tasks/define';
import { startExperiment } from '../client/experiments';
import type { DevServer } from '../client/dev-server';
import { parseSpec } from '../client/spec-file';
import { tracingClientInterceptors, WORKFLOW_TRACING_MODULE } from '../workers/tracing';
import { dxpEnv, runDxp } from './helpers/cli';
import { startPhoenix, type PhoenixServer } from './helpers/phoenix';
import { waitFor } from './helpers/processes';
import { startTestServer, startTestWorker, tempDir, writeJsonl, type RunningWorker } from './helpers/temporal';

interface PhoenixSpan {
  name: string;
  context: { trace_id: string; span_id: string };
  parent_id: string | null;
  attributes: Record<string, unknown>;
}

const project = 'dxp-pipeline-trace';
const taskQueue = 'tracing-pipeline';
let phoenix: PhoenixServer;
let server: DevServer;
let worker: RunningWorker | undefined;
let client: Client;
let dir: string;
let bundle: { code: string };

const traced = defineTasks({
  tasks: {
    'traced-steps': {
      steps: [
        {
          name: 'work',
          run: (ctx) =>
            // A user's span, as any OpenTelemetry-instrumented library would make it.
            trace.getTracer('user-code').startActiveSpan('user-work', (span) => {
              span.setAttribute('user.example', ctx.id);
              span.end();
              return `done ${ctx.id}`;
            }),
        },
        { name: 'answer', run: ({ outputs }) => outputs.work },
      ],
    },
  },
});

beforeAll(async () => {
  dir = tempDir('dxp-tracing-pipeline-');
  [phoenix, server] = await Promise.all([startPhoenix(), startTestServer()]);
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), workflowInterceptorModules: [WORKFLOW_TRACING_MODULE], logger: new DefaultLogger('WARN') });
  worker = await startTestWorker(server, {
    dataDir: join(dir, 'store'),
    taskQueue,
    modules: [traced],
    workflowBundle: bundle,
    serviceEnv: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: phoenix.tracesUrl, DXP_TRACE_PROJECT: project },
  });
  const connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: server.namespace, interceptors: tracingClientInterceptors() });
}, 240_000);

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
  await phoenix?.stop();
});

test('one trace from the start to every step, with the user span under its step', async () => {
  const rows = [{ id: 'a', input: 1 }, { id: 'b', input: 2 }];
  const spec = parseSpec({ name: 'traced', dataset: { path: writeJsonl(dir, 'rows.jsonl', rows) }, task: 'traced-steps', taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  expect(await handle.result()).toMatchObject({ runs: 2, succeeded: 2 });
  await worker!.stop(); // flushes the span pipeline
  worker = undefined;

  let last = '';
  const spans = await waitFor(
    async () => {
      try {
        const body = await phoenix.get<{ data: PhoenixSpan[] }>(`/v1/projects/${project}/spans?limit=1000`);
        last = `${body.data.length} spans: ${[...new Set(body.data.map((s) => s.name))].join(', ')}`;
        return body.data.filter((s) => s.name === 'user-work').length === 2 && body.data.some((s) => s.name.startsWith('StartWorkflow')) ? body.data : undefined;
      } catch (err) {
        last = (err as Error).message;
        return undefined;
      }
    },
    { timeoutMs: 60_000, intervalMs: 500, describe: () => `the experiment's spans in Phoenix (last: ${last})` },
  );
  const start = spans.find((s) => s.name === 'StartWorkflow:experiment');
  expect(start).toBeDefined();
  const traceId = start!.context.trace_id;
  const inTrace = spans.filter((s) => s.context.trace_id === traceId);
  const count = (name: string) => inTrace.filter((s) => s.name === name).length;
  expect(count('RunWorkflow:experiment')).toBeGreaterThanOrEqual(1);
  expect(count('RunWorkflow:example')).toBe(2);
  expect(count('RunActivity:runTaskStep')).toBe(4); // two steps of two examples
  expect(count('user-work')).toBe(2);
  const byId = new Map(inTrace.map((s) => [s.context.span_id, s]));
  for (const user of inTrace.filter((s) => s.name === 'user-work')) {
    expect(byId.get(user.parent_id ?? '')?.name).toBe('RunActivity:runTaskStep');
  }
  expect(inTrace.filter((s) => s.name === 'user-work').map((s) => s.attributes['user.example']).sort()).toEqual(['a', 'b']);
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
        const spans = (await phoenix.get<{ data: PhoenixSpan[] }>(`/v1/projects/${project}/spans?limit=1000`)).data;
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
