import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import type { DevServer } from '../client/dev-server';
import type { RunRecord } from '../workflows/records';
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
  worker = await startTestWorker(server, { dataDir: join(dir, 'store'), taskQueue });
});

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
});

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
