/**
 * `dxp worker` logs quietly: an expected example failure is one line per failed attempt at
 * INFO/WARN (its stack only at DEBUG), and a start prints no webpack report and no warning about
 * the activity-only model worker. Real worker processes (which bundle the workflows themselves)
 * on a dev server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { LogLevel, LogMetadata } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { WorkerLogger, summarizeError } from '../workers/logger';
import { exampleWorkflowId } from '../workflows/experiment-contract';
import { PROJECT_ROOT, waitFor } from './helpers/processes';
import { connectTestClient, startTestServer, tempDir, writeJsonl } from './helpers/temporal';

const DXP_BIN = join(PROJECT_ROOT, 'bin', 'dxp.js');
const FIXTURE_TASKS = join(PROJECT_ROOT, 'test', 'fixtures', 'tasks.ts');
const STACK_FRAME = /^\s+at /m;

let server: DevServer;
let client: Client;
let dir: string;
const started: ChildProcess[] = [];

beforeAll(async () => {
  dir = tempDir();
  server = await startTestServer();
  client = await connectTestClient(server);
});

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await client?.connection.close();
  await server?.stop();
});

interface WorkerRun {
  output(): string;
  stop(): Promise<void>;
}

/** `dxp worker --tasks <fixtures>` at a log level, bundling its workflows itself (no DXP_WORKFLOW_BUNDLE). */
async function startWorker(taskQueue: string, logLevel: LogLevel): Promise<WorkerRun> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('DXP_') && !(key.startsWith('TEMPORAL_') && key !== 'TEMPORAL_CLI_PATH')) env[key] = value;
  const child = spawn(process.execPath, [DXP_BIN, 'worker', '--tasks', FIXTURE_TASKS], {
    cwd: PROJECT_ROOT,
    env: { ...env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace, DXP_TASK_QUEUE: taskQueue, DXP_DATA_DIR: join(dir, taskQueue), DXP_SHUTDOWN_GRACE: '2s', DXP_LOG_LEVEL: logLevel },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(() => output.includes('dxp worker on') || child.exitCode !== null, { timeoutMs: 60_000, describe: () => `the worker to start; output:\n${output}` });
  if (child.exitCode !== null) throw new Error(`the worker exited: ${output}`);
  // Its SDK workers (the main queue's and the model queue's) are polling once they log RUNNING.
  await waitFor(() => output.includes(`taskQueue=${taskQueue} state=RUNNING`) && output.includes(`taskQueue=${taskQueue}-model state=RUNNING`), {
    timeoutMs: 30_000,
    describe: () => `the worker's SDK workers for ${taskQueue} and ${taskQueue}-model to log state=RUNNING; output:\n${output}`,
  });
  return {
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One example that throws NonRetryableError (division by zero), one that succeeds. */
async function runFailingExperiment(name: string, taskQueue: string): Promise<void> {
  const rows = [
    { id: 'zero', input: 'What is 1 / 0?' },
    { id: 'fine', input: 'What is 2 + 2?' },
  ];
  const spec = parseSpec({ name, dataset: { path: writeJsonl(dir, `${name}.jsonl`, rows) }, task: 'demo-calculator', taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  expect(await handle.result()).toMatchObject({ runs: 2, failed: 1 });
}

test('at INFO: one line per failed attempt, no stack, no webpack report, no model-queue warning', async () => {
  const taskQueue = 'logs-info';
  const worker = await startWorker(taskQueue, 'INFO');
  await runFailingExperiment('logs-info', taskQueue);
  await waitFor(() => /\[INFO\] Workflow failed: /.test(worker.output()), { timeoutMs: 10_000, describe: () => `the example workflow's failure line; output:\n${worker.output()}` });
  await worker.stop();
  const output = worker.output();

  expect(output).not.toMatch(STACK_FRAME);
  // Every entry is one line: no continuation lines of a multi-line object dump.
  expect(output.split('\n').filter((line) => /^\s/.test(line))).toEqual([]);
  const failures = output.split('\n').filter((line) => line.includes('Activity failed'));
  expect(failures).toHaveLength(1);
  expect(failures[0]).toMatch(/\[WARN\] Activity failed: NonRetryableError: division by zero /);
  expect(failures[0]).toContain(`workflowId=${exampleWorkflowId('logs-info', 'zero', 1)}`);
  expect(failures[0]).toContain('attempt=1');
  expect(failures[0]).not.toContain('taskToken');
  // The example workflow's own failure (expected, stored) is one INFO line.
  expect(output).toMatch(/\[INFO\] Workflow failed: step 'compute' failed: NonRetryableError: division by zero .*workflowType=example/);
  // A start: no webpack report, no notice about the activity-only model worker.
  expect(output).not.toMatch(/webpack|asset workflow-bundle|modules by path|Workflow bundle created/);
  expect(output).not.toContain('No workflows registered');
  expect(output).not.toContain('No Nexus services registered');
  expect(output).toContain(`taskQueue=${taskQueue}-model state=RUNNING`);
});

test('at DEBUG: the failure has its stack (and the bundler its report)', async () => {
  const taskQueue = 'logs-debug';
  const worker = await startWorker(taskQueue, 'DEBUG');
  await runFailingExperiment('logs-debug', taskQueue);
  await waitFor(() => worker.output().includes('[DEBUG] Activity failed (full error)') && /\[INFO\] Workflow failed: /.test(worker.output()), {
    timeoutMs: 10_000,
    describe: () => `the failure's DEBUG line and the example workflow's failure line; output:\n${worker.output()}`,
  });
  await worker.stop();
  const output = worker.output();
  expect(output).toMatch(/\[WARN\] Activity failed: NonRetryableError: division by zero /);
  expect(output).toContain('[DEBUG] Activity failed (full error)');
  expect(output).toMatch(STACK_FRAME);
  expect(output).toMatch(/at .*demo-tasks\.ts/); // where the step threw (the demo task, in activities/tasks/demo-tasks.ts)
  expect(output).toMatch(/\[DEBUG\] .*webpack .* compiled successfully/s);
});

test('the logger: errors become one line, their full form goes to DEBUG', () => {
  const lines = (level: LogLevel, entries: [LogLevel, string, LogMetadata?][]) => {
    const out: string[] = [];
    const logger = new WorkerLogger(level, (text) => out.push(text));
    for (const [l, message, meta] of entries) logger.log(l, message, meta);
    return out.join('');
  };
  const failure = ApplicationFailure.create({ type: 'NonRetryableError', message: 'division by zero', cause: new Error('division by zero') });
  const entries: [LogLevel, string, LogMetadata?][] = [
    ['WARN', 'Activity failed', { error: failure, attempt: 2, taskToken: 'abc', activityType: 'runTaskStep' }],
    ['WARN', 'No workflows registered, not polling for workflow tasks', { taskQueue: 'q-model' }],
    ['INFO', 'Worker state changed', { taskQueue: 'q', state: 'RUNNING' }],
  ];
  const info = lines('INFO', entries);
  expect(info.trim().split('\n')).toHaveLength(2);
  expect(info).toMatch(/\[WARN\] Activity failed: NonRetryableError: division by zero attempt=2 activityType=runTaskStep\n/);
  expect(info).toMatch(/\[INFO\] Worker state changed taskQueue=q state=RUNNING\n/);
  const debug = lines('DEBUG', entries);
  expect(debug).toContain('[DEBUG] Activity failed (full error)');
  expect(debug).toContain('taskToken=abc');
  expect(debug).toMatch(STACK_FRAME);
  expect(debug).toContain('[DEBUG] No workflows registered');

  expect(summarizeError(new Error('outer', { cause: new TypeError('inner\nsecond line') }))).toBe('outer ← TypeError: inner ⏎ second line');
});
