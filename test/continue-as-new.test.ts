/**
 * Continue-as-new with children in flight: a dev server that suggests continue-as-new after
 * a few dozen events forces many generations. Also records the replay histories
 * (DXP_RECORD_HISTORIES=1 rewrites them in test/histories/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { exampleWorkflowId, experimentWorkflowId } from '../workflows/experiment-contract';
import type { RunRecord } from '../workflows/records';
import fixtures, { type LedgerEntry } from './fixtures/tasks';
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
