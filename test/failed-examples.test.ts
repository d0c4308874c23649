/**
 * A failed example looks failed in the Temporal UI: its workflow ends as Failed, with the run's
 * error as the failure message and the run record in the failure's details, after the record
 * reached the experiment (whose counts and store are what they were). Records the replay history
 * `example-failed.json` (DXP_RECORD_HISTORIES=1).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { EXAMPLE_FAILED_TYPE, runRecordOf } from '../workflows/example-contract';
import { exampleWorkflowId, type ExperimentProgress } from '../workflows/experiment-contract';
import { progressLine } from '../workflows/progress-details';
import type { RunRecord } from '../core/records';
import { waitFor } from './helpers/processes';
import { connectTestClient, recordHistory, startTestServer, startTestWorker, tempDir, writeJsonl, type RunningWorker } from './helpers/temporal';

let server: DevServer;
let client: Client;
let worker: RunningWorker;
let dir: string;
const taskQueue = 'failed-examples-test';

beforeAll(async () => {
  dir = tempDir();
  server = await startTestServer();
  client = await connectTestClient(server);
  worker = await startTestWorker(server, { dataDir: join(dir, 'store'), taskQueue });
});

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
});

async function listIds(query: string, expected: number): Promise<string[]> {
  // Visibility is eventually consistent: wait until it lists `expected` workflows.
  let ids: string[] = [];
  await waitFor(
    async () => {
      ids = [];
      for await (const w of client.workflow.list({ query })) ids.push(w.workflowId);
      return ids.length >= expected;
    },
    { timeoutMs: 10_000, intervalMs: 100, describe: () => `visibility to list ${expected} workflow(s) for ${query}; it lists ${ids.length}: ${ids.join(', ')}` },
  );
  return ids.sort();
}

test('a failed example ends Failed with its reason, after its run reached the experiment; the others complete', async () => {
  const name = 'red-examples';
  const rows = [
    { id: 'ok1', input: 'What is 2 + 3?', expected: '5' },
    { id: 'zero', input: 'What is 1 / 0?', expected: 'inf' },
    { id: 'ok2', input: 'What is 6 * 7?', expected: '42' },
  ];
  const spec = parseSpec({ name, dataset: { path: writeJsonl(dir, `${name}.jsonl`, rows) }, task: 'demo-calculator', evaluators: ['exact-match'], taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  const summary = await handle.result();

  // The experiment's accounting is what it was: the failure counted once, every run stored.
  expect(summary).toMatchObject({ status: 'completed', runs: 3, succeeded: 2, failed: 1 });
  expect(summary.failures).toEqual([{ exampleId: 'zero', repetition: 1, error: "step 'compute' failed: NonRetryableError: division by zero" }]);
  const stored = readFileSync(join(dir, 'store', 'experiments', name, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunRecord);
  expect(stored.map((r) => r.exampleId).sort()).toEqual(['ok1', 'ok2', 'zero']);
  const storedZero = stored.find((r) => r.exampleId === 'zero');

  // The failed child: FAILED, the run's error as the message, the record in the details.
  const zero = client.workflow.getHandle(exampleWorkflowId(name, 'zero', 1));
  expect((await zero.describe()).status.name).toBe('FAILED');
  const err = await zero.result().then(
    () => undefined,
    (e: unknown) => e as Error & { cause?: unknown },
  );
  expect(err?.cause).toBeInstanceOf(ApplicationFailure);
  const failure = err?.cause as ApplicationFailure;
  expect(failure.message).toBe("step 'compute' failed: NonRetryableError: division by zero");
  expect(failure.type).toBe(EXAMPLE_FAILED_TYPE);
  expect(failure.nonRetryable).toBe(true);
  expect(runRecordOf(err)).toEqual(storedZero);

  // Ran once: no workflow retry policy, and the failure is not retryable anyway.
  const events = (await zero.fetchHistory()).events ?? [];
  expect(events[0]?.workflowExecutionStartedEventAttributes?.retryPolicy ?? null).toBeNull();
  const failed = events.at(-1)?.workflowExecutionFailedEventAttributes;
  expect(failed?.failure?.message).toBe(failure.message);
  expect(failed?.failure?.stackTrace ?? '').toBe('');
  // The run record reached the experiment once, by the failure itself: the child sent no signal,
  // and the experiment's history has its ChildWorkflowExecutionFailed (the record in its details).
  expect(events.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes)).toHaveLength(0);
  const parentEvents = (await handle.fetchHistory()).events ?? [];
  expect(parentEvents.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'runFinished')).toHaveLength(0);
  const childFailed = parentEvents.filter((e) => e.childWorkflowExecutionFailedEventAttributes?.workflowExecution?.workflowId === exampleWorkflowId(name, 'zero', 1));
  expect(childFailed).toHaveLength(1);
  expect(await listIds(`WorkflowId = "${exampleWorkflowId(name, 'zero', 1)}"`, 1)).toHaveLength(1);

  // The others completed, and their result is their run record.
  for (const id of ['ok1', 'ok2']) {
    const ok = client.workflow.getHandle(exampleWorkflowId(name, id, 1));
    expect((await ok.describe()).status.name).toBe('COMPLETED');
    const record = await ok.result();
    expect(runRecordOf(record)).toBeUndefined();
    expect(record).toEqual(stored.find((r) => r.exampleId === id));
  }

  // The UI's status filter finds it (examples have no DxpStatus: their workflow status says it).
  expect(await listIds(`ExecutionStatus = "Failed" AND DxpExperiment = "${name}"`, 1)).toEqual([exampleWorkflowId(name, 'zero', 1)]);
  expect(await listIds(`ExecutionStatus = "Completed" AND DxpExperiment = "${name}"`, 3)).toEqual([
    `experiment/${name}`,
    exampleWorkflowId(name, 'ok1', 1),
    exampleWorkflowId(name, 'ok2', 1),
  ]);

  await recordHistory(client, exampleWorkflowId(name, 'zero', 1), 'example-failed.json');
});

test('a malformed row fails its example workflow too, with the reason', async () => {
  const name = 'red-malformed';
  const path = join(dir, `${name}.jsonl`);
  writeFileSync(path, '{"id":"fine","input":"x"}\n{"id": "broken", \n');
  const spec = parseSpec({ name, dataset: { path }, task: 'echo', taskQueue });
  const summary = await (await startExperiment(client, spec, taskQueue)).handle.result();
  expect(summary).toMatchObject({ runs: 2, succeeded: 1, failed: 1 });
  const failedIds = await listIds(`ExecutionStatus = "Failed" AND DxpExperiment = "${name}"`, 1);
  expect(failedIds).toHaveLength(1);
  const err = await client.workflow.getHandle(failedIds[0]!).result().catch((e: Error & { cause?: Error }) => e);
  expect(err.cause?.message).toMatch(/^malformed row: line 2/);
});

test('the progress line names done, failed and running', () => {
  const p: ExperimentProgress = {
    experimentId: 'x',
    name: 'x',
    phase: 'running',
    counts: { total: 12, started: 10, succeeded: 6, failed: 1, skipped: 0 },
    running: 3,
    startedAt: '2026-01-01T00:00:00Z',
    generation: 0,
  };
  expect(progressLine(p)).toBe('done 7 / 12 (failed 1), running 3');
  expect(progressLine({ ...p, counts: { ...p.counts, total: null } })).toBe('done 7 / ? (failed 1), running 3');
});
