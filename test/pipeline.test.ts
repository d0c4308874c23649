import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, defaultPayloadConverter } from '@temporalio/common';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import type { DevServer } from '../client/dev-server';
import type { RunRecord } from '../core/records';
import type { ExperimentSpecInput } from '../core/spec';
import fixtures, { type LedgerEntry } from './fixtures/tasks';
import { waitFor } from './helpers/processes';
import { connectTestClient, startTestServer, startTestWorker, tempDir, writeJsonl, type RunningWorker } from './helpers/temporal';

let server: DevServer;
let client: Client;
let worker: RunningWorker;
let dir: string;
const taskQueue = 'pipeline-test';

beforeAll(async () => {
  dir = tempDir();
  server = await startTestServer();
  client = await connectTestClient(server);
  process.env.DXP_TEST_LEDGER = join(dir, 'ledger.jsonl');
  worker = await startTestWorker(server, { dataDir: join(dir, 'store'), taskQueue, modules: [fixtures] });
});

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
});

function ledger(): LedgerEntry[] {
  try {
    return readFileSync(join(dir, 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LedgerEntry);
  } catch {
    return [];
  }
}

/** Runs an experiment on a small JSONL dataset and returns its summary and stored runs. */
async function runExperiment(name: string, rows: unknown[], spec: Omit<ExperimentSpecInput, 'name' | 'dataset'>) {
  const dataset = writeJsonl(dir, `${name}.jsonl`, rows);
  const parsed = parseSpec({ name, dataset: { path: dataset }, taskQueue, ...spec });
  const { handle } = await startExperiment(client, parsed, taskQueue);
  const summary = await handle.result();
  const runs = storedRuns(name);
  return { summary, runs, byId: new Map(runs.map((r) => [`${r.exampleId}#${r.repetition}`, r])), handle };
}

function storedRuns(name: string): RunRecord[] {
  return readFileSync(join(dir, 'store', 'experiments', name, 'runs.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as RunRecord);
}

test('the demo task runs every example through its steps and evaluators', async () => {
  const rows = [
    { id: 'q1', input: 'What is 2 + 3?', expected: '5' },
    { id: 'q2', input: 'What is 6 * 7?', expected: '42' },
    { id: 'q3', input: 'What is 1 / 0?', expected: 'inf' },
    { id: 'q4', input: 'What is 10 - 4?', expected: '7' },
  ];
  const dataset = writeJsonl(dir, 'calc.jsonl', rows);
  const spec = parseSpec({ name: 'happy', dataset: { path: dataset }, task: 'demo-calculator', evaluators: ['exact-match'], concurrency: 2, taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  const summary = await handle.result();
  expect(summary.runs).toBe(4);
  expect(summary.succeeded).toBe(3);
  expect(summary.failed).toBe(1);
  expect(summary.failures[0]).toMatchObject({ exampleId: 'q3' });
  expect(summary.failures[0]?.error).toContain('division by zero');
  expect(summary.evaluators['exact-match']).toMatchObject({ scored: 4, labels: { True: 2, False: 2 } });
  const runs = storedRuns('happy');
  expect(runs.map((r) => r.exampleId).sort()).toEqual(['q1', 'q2', 'q3', 'q4']);
  const q2 = runs.find((r) => r.exampleId === 'q2');
  expect(q2?.output).toBe('42');
  expect(q2?.steps.map((s) => s.name)).toEqual(['parse', 'compute', 'answer']);
});

test('a flaky step is retried until it succeeds, and the attempts are recorded', async () => {
  const { summary, byId } = await runExperiment('flaky', [{ id: 'f1', failUntil: 3 }], {
    task: 'flaky',
    retry: { maximumAttempts: 5, initialInterval: '100ms', backoffCoefficient: 1 },
  });
  expect(summary.succeeded).toBe(1);
  const run = byId.get('f1#1');
  expect(run?.output).toEqual({ attempt: 3 });
  expect(run?.steps[0]).toMatchObject({ name: 'run', attempts: 3 });
  expect(ledger().filter((e) => e.exampleId === 'f1' && e.step === 'run').map((e) => e.attempt)).toEqual([1, 2, 3]);
});

test('a flaky step that exhausts its attempts fails only its example, with the reason', async () => {
  const { summary, byId } = await runExperiment('flaky-exhausted', [{ id: 'never', failUntil: 99 }, { id: 'ok', failUntil: 1 }], {
    task: 'flaky',
    retry: { maximumAttempts: 2, initialInterval: '100ms' },
  });
  expect(summary).toMatchObject({ runs: 2, succeeded: 1, failed: 1 });
  expect(byId.get('never#1')?.error).toContain('transient failure on attempt 2');
  expect(byId.get('never#1')?.steps[0]?.attempts).toBe(2);
});

test('a step that exceeds its timeout is retried, and an example that always does fails with a timeout', async () => {
  const { summary, byId } = await runExperiment('timeouts', [{ id: 'retried' }], { task: 'slow-first' });
  expect(summary.succeeded).toBe(1);
  expect(byId.get('retried#1')?.output).toBe('fast enough');
  const failed = await runExperiment('timeouts-fail', [{ id: 'stuck' }], { task: 'always-slow' });
  expect(failed.summary.failed).toBe(1);
  expect(failed.byId.get('stuck#1')?.error).toMatch(/timeout/i);
});

test('a hung step is detected by its heartbeat timeout and the retry sees the last heartbeat', async () => {
  const started = Date.now();
  const { summary, byId } = await runExperiment('hung', [{ id: 'h1' }], { task: 'hang-first' });
  expect(summary.succeeded).toBe(1);
  // The step's start-to-close timeout is a minute: finishing well before it means the heartbeat caught the hang.
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(byId.get('h1#1')?.output).toEqual({ resumedFrom: { done: 2 }, attempt: 2 });
});

test('an evaluator that throws is recorded on the run and the others still score it', async () => {
  const { summary, byId } = await runExperiment('evaluator-errors', [{ id: 'e1', input: 'abc', expected: 'abc' }], {
    task: 'echo',
    evaluators: ['exact-match', 'throws', 'returns-nothing-useful', { name: 'chars', use: 'length' }, { name: 'remote', use: 'remote-length' }],
    evaluation: { retry: { maximumAttempts: 2, initialInterval: '100ms' } },
  });
  expect(summary.succeeded).toBe(1);
  const run = byId.get('e1#1');
  expect(run?.evaluations['exact-match']).toEqual({ score: 1, label: 'True' });
  expect(run?.evaluations.chars).toEqual({ score: 3, explanation: 'characters in the output' });
  expect(run?.evaluations.remote).toEqual({ score: 3 });
  expect(run?.evaluations.throws?.error).toContain('evaluator exploded');
  expect(run?.evaluations['returns-nothing-useful']?.error).toContain('needs a score or a non-empty label');
  expect(summary.evaluators.throws).toMatchObject({ errors: 1, scored: 0 });

  // Code evaluators ran as local activities: one marker each, failed ones included; `local: false` as an activity.
  const events = (await client.workflow.getHandle(run!.workflowId).fetchHistory()).events ?? [];
  const markers = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
  const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((name) => name !== undefined);
  expect(markers).toHaveLength(4);
  expect(scheduled).toEqual(['runTaskStep', 'runEvaluator']);
});

test('a malformed row fails that example only, with no evaluations (README: nothing to score)', async () => {
  const dataset = join(dir, 'malformed.jsonl');
  writeFileSync(dataset, '{"id":"good1","input":"x"}\n{"id": "broken", \n{"id":"good2","input":"y"}\n');
  const spec = parseSpec({ name: 'malformed', dataset: { path: dataset }, task: 'echo', evaluators: ['json-parses'], taskQueue });
  const summary = await (await startExperiment(client, spec, taskQueue)).handle.result();
  expect(summary).toMatchObject({ runs: 3, succeeded: 2, failed: 1 });
  expect(summary.failures[0]?.error).toMatch(/malformed row: line 2/);
  expect(summary.evaluators['json-parses']?.scored).toBe(2);
  const runs = storedRuns('malformed');
  expect(runs.find((r) => r.exampleId === 'row-2')?.evaluations).toEqual({});
  expect(runs.filter((r) => r.exampleId.startsWith('good')).map((r) => Object.keys(r.evaluations))).toEqual([['json-parses'], ['json-parses']]);
});

test('a failing step still runs the cleanup step, which sees the error', async () => {
  const { summary, byId } = await runExperiment('cleanup', [{ id: 'c1' }], { task: 'fails-with-cleanup' });
  expect(summary.failed).toBe(1);
  expect(byId.get('c1#1')?.steps.map((s) => s.name)).toEqual(['setup', 'explode', 'cleanup']);
  const cleanup = ledger().filter((e) => e.exampleId === 'c1' && e.event === 'cleanup');
  expect(cleanup).toHaveLength(1);
  expect(cleanup[0]?.step).toContain('step exploded');
});

test('dry run, repetitions and seeded sampling choose the runs', async () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({ id: `r${i}`, input: i, group: i < 20 ? 'a' : 'b' }));
  const dry = await runExperiment('dry', rows, { task: 'echo', dryRun: 4, repetitions: 2 });
  expect(dry.summary.runs).toBe(8);
  expect([...dry.byId.keys()].sort()).toEqual(['r0#1', 'r0#2', 'r1#1', 'r1#2', 'r2#1', 'r2#2', 'r3#1', 'r3#2']);
  const sampled = await runExperiment('sampled', rows, { task: 'echo', sample: { count: 6, seed: 3, stratifyBy: 'group' } });
  expect(sampled.summary.runs).toBe(6);
  const groups = sampled.runs.map((r) => ((r.output as number) < 20 ? 'a' : 'b'));
  expect(groups.filter((g) => g === 'a')).toHaveLength(4);
  const again = await runExperiment('sampled-again', rows, { task: 'echo', sample: { count: 6, seed: 3, stratifyBy: 'group' } });
  expect(again.runs.map((r) => r.exampleId).sort()).toEqual(sampled.runs.map((r) => r.exampleId).sort());
});

test('exitOnError stops the experiment at the first failed example', async () => {
  const rows = [{ id: 'bad', failUntil: 99 }, ...Array.from({ length: 20 }, (_, i) => ({ id: `ok${i}`, failUntil: 1 }))];
  const dataset = writeJsonl(dir, 'exit.jsonl', rows);
  const spec = parseSpec({ name: 'exit-on-error', dataset: { path: dataset }, task: 'flaky', concurrency: 1, exitOnError: true, retry: { maximumAttempts: 1 }, taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  const failure = await handle.result().catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause).toBeInstanceOf(ApplicationFailure);
  expect((failure as WorkflowFailedError).cause).toMatchObject({ type: 'ExampleFailed', message: expect.stringMatching(/^exitOnError: example 'bad' \(repetition 1\) failed: /) });
  const description = await handle.describe();
  expect(description.status.name).toBe('FAILED');
  expect(storedRuns('exit-on-error').length).toBeLessThan(rows.length);
  expect(storedRuns('exit-on-error').find((r) => r.exampleId === 'bad')?.error).toContain('transient');
});

test('starting the same experiment twice attaches to the first', async () => {
  const dataset = writeJsonl(dir, 'twice.jsonl', [{ id: 't1', input: 'x' }]);
  const spec = parseSpec({ name: 'twice', dataset: { path: dataset }, task: 'echo', taskQueue });
  const first = await startExperiment(client, spec, taskQueue);
  const second = await startExperiment(client, spec, taskQueue);
  expect(first.started).toBe(true);
  expect(second.started).toBe(false);
  expect((await second.handle.describe()).runId).toBe((await first.handle.describe()).runId);
  await first.handle.result();
});

test('an unknown task fails the experiment at once with the names the worker knows', async () => {
  const dataset = writeJsonl(dir, 'unknown.jsonl', [{ id: 'u1' }]);
  const spec = parseSpec({ name: 'unknown-task', dataset: { path: dataset }, task: 'no-such-task', taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
  const err = await handle.result().catch((e: Error & { cause?: Error }) => e);
  expect((err as { cause?: Error }).cause).toBeInstanceOf(ApplicationFailure);
  expect((err as { cause?: ApplicationFailure }).cause?.type).toBe('InvalidPlan');
  expect(String((err as { cause?: Error }).cause?.message)).toMatch(/unknown task 'no-such-task'.*demo-calculator/);
});

test('cancelling an experiment keeps finished runs and stops the rest', async () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({ id: `k${i}`, ms: 400 }));
  const dataset = writeJsonl(dir, 'cancel.jsonl', rows);
  const spec = parseSpec({ name: 'cancel', dataset: { path: dataset }, task: 'ledgered', concurrency: 3, flushEvery: 1, taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  const finishedRuns = () => ledger().filter((e) => e.exampleId.startsWith('k') && e.step === 'c' && e.event === 'end').length;
  await waitFor(() => finishedRuns() >= 3, {
    timeoutMs: 30_000,
    intervalMs: 200,
    describe: () => `3 cancel examples to end their last step 'c' in the ledger; ${finishedRuns()} did`,
  });
  await handle.cancel();
  const cancelled = await handle.result().catch((e: unknown) => e);
  expect(cancelled).toBeInstanceOf(WorkflowFailedError);
  expect((cancelled as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  const runs = storedRuns('cancel');
  expect(runs.length).toBeGreaterThanOrEqual(3);
  expect(runs.length).toBeLessThan(30);
  expect(new Set(runs.map((r) => r.exampleId)).size).toBe(runs.length);
});

test('the Temporal UI can find an experiment, its failed examples and its progress', async () => {
  const rows = [{ id: 'ui-ok', input: 'What is 1 + 1?' }, { id: 'ui-bad', input: 'no numbers here' }];
  const { handle } = await runExperiment('ui', rows, { task: 'demo-calculator' });
  const list = async (query: string) => {
    const ids: string[] = [];
    for await (const w of client.workflow.list({ query })) ids.push(w.workflowId);
    return ids.sort();
  };
  // Visibility is eventually consistent: wait until the failed example is listed.
  const failedQuery = 'DxpExperiment = "ui" AND WorkflowType = "example" AND ExecutionStatus = "Failed"';
  const failed = await waitFor(async () => {
    const ids = await list(failedQuery);
    return ids.length > 0 && ids;
  }, { timeoutMs: 10_000, intervalMs: 100, describe: () => `visibility to list a failed example for: ${failedQuery}` });
  expect(failed).toEqual(['experiment/ui/example/ui-bad/rep/1']);
  expect(await list('DxpExperiment = "ui" AND WorkflowType = "example" AND ExecutionStatus = "Completed"')).toEqual(['experiment/ui/example/ui-ok/rep/1']);
  expect(await list('DxpExperiment = "ui" AND DxpExampleId = "ui-ok"')).toEqual(['experiment/ui/example/ui-ok/rep/1']);
  expect(await list('DxpExperiment = "ui" AND DxpStatus = "completed"')).toEqual(['experiment/ui']);

  const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
  expect(metadata.currentDetails).toContain('done 2 / 2 (succeeded 1, failed 1)');
  const description = await handle.describe();
  expect(await description.staticSummary()).toContain('experiment ui: task demo-calculator');

  // The main page's timeline labels each store call with the progress at that moment.
  const history = await handle.fetchHistory();
  const labels = (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordRuns')
    .map((e) => defaultPayloadConverter.fromPayload<string>(e.userMetadata!.summary!));
  expect(labels.at(-1)).toBe('store 2 runs · done 2 / 2 (failed 1), running 0');
});

describe('a dataset with a repeated example id', () => {
  // Both orders matter: the repeat starting while the first run is in flight (concurrency 10: the
  // same page), and after it finished (concurrency 1: its workflow id is taken by a closed run).
  test.each([10, 1])('keeps the first run and fails the repeat with its row (concurrency %i)', async (concurrency) => {
    const name = `duplicate-ids-c${concurrency}`;
    const rows = [
      { id: 'a', input: 'first a' },
      { id: 'b', input: 'b' },
      { id: 'a', input: 'second a' },
    ];
    const { summary, runs } = await runExperiment(name, rows, { task: 'echo', evaluators: ['exact-match'], concurrency });
    expect(summary).toMatchObject({ runs: 3, succeeded: 2, failed: 1 });
    expect(summary.failures).toEqual([expect.objectContaining({ exampleId: 'a', error: expect.stringContaining("duplicate example id 'a': row 3") })]);
    const ran = runs.filter((r) => r.duplicateRow === undefined);
    expect(ran.map((r) => [r.exampleId, r.output]).sort()).toEqual([
      ['a', 'first a'],
      ['b', 'b'],
    ]);
    expect(runs.filter((r) => r.duplicateRow === 3)).toHaveLength(1);
  });

  test("a malformed row whose row-<n> id is a real row's id does not take that row's run", async () => {
    const dataset = join(dir, 'malformed-collision.jsonl');
    // Line 2 is malformed and becomes row-2; line 1 is a real row whose id is row-2.
    writeFileSync(dataset, '{"id":"row-2","input":"real"}\n{"id": broken\n{"id":"c","input":"c"}\n');
    const spec = parseSpec({ name: 'malformed-collision', dataset: { path: dataset }, task: 'echo', taskQueue });
    const { handle } = await startExperiment(client, spec, taskQueue);
    const summary = await handle.result();
    expect(summary).toMatchObject({ runs: 3, succeeded: 2, failed: 1 });
    const runs = storedRuns('malformed-collision');
    expect(runs.find((r) => r.exampleId === 'row-2' && r.duplicateRow === undefined)?.output).toBe('real');
  });
});
