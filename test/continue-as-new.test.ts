/**
 * Continue-as-new with children in flight: a dev server that suggests continue-as-new after
 * a few dozen events forces many generations. Also records the replay histories
 * (DXP_RECORD_HISTORIES=1 rewrites them in test/histories/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { exampleWorkflowId, experimentWorkflowId } from '../workflows/experiment-contract';
import type { RunRecord } from '../core/records';
import fixtures, { type LedgerEntry } from './fixtures/tasks';
import { waitFor } from './helpers/processes';
import { connectTestClient, recordHistory, startTestServer, startTestWorker, tempDir, writeJsonl, type RunningWorker } from './helpers/temporal';

let server: DevServer;
let client: Client;
let worker: RunningWorker;
let dir: string;
const taskQueue = 'can-test';

beforeAll(async () => {
  dir = tempDir();
  process.env.DXP_TEST_LEDGER = join(dir, 'ledger.jsonl');
  server = await startTestServer({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 60 } });
  client = await connectTestClient(server);
  worker = await startTestWorker(server, { dataDir: join(dir, 'store'), taskQueue, modules: [fixtures] });
});

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
});

test('a slow example holds back nothing, across many continue-as-new generations', async () => {
  const rows = [{ id: 'slow', ms: 6000 }, ...Array.from({ length: 59 }, (_, i) => ({ id: `fast${i}`, ms: 20 }))];
  const spec = parseSpec({
    name: 'generations',
    dataset: { path: writeJsonl(dir, 'gen.jsonl', rows) },
    task: 'ledgered',
    concurrency: 4,
    flushEvery: 5,
    taskQueue,
  });
  const { handle } = await startExperiment(client, spec, taskQueue);
  const summary = await handle.result();
  expect(summary).toMatchObject({ runs: 60, succeeded: 60 });

  const runs = readFileSync(join(dir, 'store', 'experiments', 'generations', 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunRecord);
  expect(runs).toHaveLength(60);
  expect(new Set(runs.map((r) => r.exampleId)).size).toBe(60);

  const chain: { runId: string; start: number; close: number }[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = "${experimentWorkflowId('generations')}"` })) {
    chain.push({ runId: execution.runId, start: execution.startTime.getTime(), close: execution.closeTime?.getTime() ?? Infinity });
  }
  chain.sort((a, b) => a.start - b.start);
  expect(chain.length).toBeGreaterThan(2);

  // No barrier: the fast examples behind the slow one finished while it was still running.
  const ledger = readFileSync(join(dir, 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LedgerEntry);
  const slowEnd = Math.max(...ledger.filter((e) => e.exampleId === 'slow' && e.event === 'end').map((e) => e.t));
  const fastDoneBeforeSlow = new Set(ledger.filter((e) => e.exampleId !== 'slow' && e.step === 'c' && e.event === 'end' && e.t < slowEnd).map((e) => e.exampleId));
  expect(fastDoneBeforeSlow.size).toBeGreaterThanOrEqual(40);
  // ...and generations came and went while the slow child stayed in flight.
  expect(chain.filter((run) => run.close < slowEnd).length).toBeGreaterThanOrEqual(2);

  await recordHistory(client, experimentWorkflowId('generations'), 'experiment-first-generation.json', chain[0]?.runId);
  await recordHistory(client, experimentWorkflowId('generations'), 'experiment-last-generation.json', chain[chain.length - 1]?.runId);
  await recordHistory(client, exampleWorkflowId('generations', 'slow', 1), 'example.json');
});

/** Every run of the experiment's chain, oldest first. */
async function generations(name: string): Promise<string[]> {
  const chain: { runId: string; start: number }[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = "${experimentWorkflowId(name)}"` })) {
    chain.push({ runId: execution.runId, start: execution.startTime.getTime() });
  }
  return chain.sort((a, b) => a.start - b.start).map((run) => run.runId);
}

test('children close while their generation hands them over: each run counted once, by completion or by signal', async () => {
  // Short, uneven children, 30 in flight, a generation every few dozen events: at every
  // continue-as-new about 30 children are asked to report by signal, and many close meanwhile;
  // every tenth takes over a second, so some are still running when asked.
  const rows = Array.from({ length: 240 }, (_, i) => ({ id: `h${i}`, ms: i % 10 === 0 ? 400 : (i * 7) % 40 }));
  const name = 'handover';
  const spec = parseSpec({ name, dataset: { path: writeJsonl(dir, 'handover.jsonl', rows) }, task: 'ledgered', concurrency: 30, flushEvery: 10, taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  const summary = await handle.result();
  // The tally adds a run each time one is reported: a run counted by both paths would make 241+.
  expect(summary).toMatchObject({ runs: 240, succeeded: 240, failed: 0 });
  const runs = readFileSync(join(dir, 'store', 'experiments', name, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunRecord);
  expect(runs.map((r) => r.exampleId).sort()).toEqual(rows.map((r) => r.id).sort());

  const chain = await generations(name);
  expect(chain.length).toBeGreaterThan(5);
  let completions = 0;
  let handedOver = 0;
  let signalled = 0;
  let signalledBy: string | undefined;
  for (const runId of chain) {
    for (const e of (await client.workflow.getHandle(experimentWorkflowId(name), runId).fetchHistory()).events ?? []) {
      if (e.childWorkflowExecutionCompletedEventAttributes) completions++;
      if (e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'reportBySignal') handedOver++;
      const signal = e.workflowExecutionSignaledEventAttributes;
      if (signal?.signalName === 'runFinished') {
        signalled++;
        signalledBy ??= defaultPayloadConverter.fromPayload<RunRecord>(signal.input!.payloads![0]!).workflowId;
      }
    }
  }
  // Both paths were taken, and every run came by at least one of them.
  expect(handedOver).toBeGreaterThan(0);
  expect(signalled).toBeGreaterThan(0);
  expect(signalled).toBeLessThanOrEqual(handedOver);
  expect(completions).toBeGreaterThan(0);
  expect(completions + signalled).toBeGreaterThanOrEqual(240);
  await recordHistory(client, experimentWorkflowId(name), 'experiment-handover.json', chain[1]);
  await recordHistory(client, exampleWorkflowId(name, 'h0', 1), 'example-by-completion.json');
  await recordHistory(client, signalledBy!, 'example-handed-over.json');
}, 180_000);

test('a child terminated from outside is a failed run, and the experiment goes on', async () => {
  const name = 'terminated';
  const rows = [{ id: 'stuck', ms: 8000 }, { id: 'quick', ms: 10 }];
  const spec = parseSpec({ name, dataset: { path: writeJsonl(dir, 'terminated.jsonl', rows) }, task: 'ledgered', concurrency: 2, taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  const ledger = (): LedgerEntry[] => readFileSync(join(dir, 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LedgerEntry);
  await waitFor(() => ledger().some((e) => e.exampleId === 'stuck' && e.event === 'start'), {
    timeoutMs: 30_000,
    intervalMs: 100,
    describe: () => "the 'stuck' example's step to start in the ledger",
  });
  await client.workflow.getHandle(exampleWorkflowId(name, 'stuck', 1)).terminate('stuck in a test');
  const summary = await handle.result();
  expect(summary).toMatchObject({ runs: 2, succeeded: 1, failed: 1 });
  expect(summary.failures).toEqual([{ exampleId: 'stuck', repetition: 1, error: expect.stringContaining('closed without a run record') as string }]);
  expect(summary.failures[0]?.error).toMatch(/terminated/i);
}, 60_000);
