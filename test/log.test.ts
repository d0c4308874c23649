/** `dxp log`: results tables made elsewhere, uploaded exactly once through the logExperiment workflow. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { logCommand, type LogCommandOptions } from '../client/commands/log';
import { CliError } from '../client/cli-context';
import { connectionConfigFromEnv } from '../connection/config';
import type { DevServer } from '../client/dev-server';
import { ArizeFake } from './fakes/arize';
import { connectTestClient, recordHistory, startTestServer, startTestWorker, tempDir, type RunningWorker } from './helpers/temporal';

let fake: ArizeFake;
let server: DevServer;
let client: Client;
let worker: RunningWorker;
let dir: string;
let exampleIds: string[];
let spaceId: string;
const taskQueue = 'log-test';
const saved = { ...process.env };

beforeAll(async () => {
  dir = tempDir('dxp-log-');
  fake = new ArizeFake();
  const { baseUrl } = await fake.start();
  const space = fake.seedSpace('lab');
  spaceId = space.id;
  const dataset = fake.seedDataset(space.id, 'prompts', Array.from({ length: 30 }, (_, i) => ({ question: `q${i}`, answer: `a${i}` })));
  exampleIds = dataset.versions[0]!.examples.map((e) => e.id);
  server = await startTestServer();
  client = await connectTestClient(server);
  Object.assign(process.env, { ARIZE_API_KEY: fake.apiKey, ARIZE_BASE_URL: baseUrl, ARIZE_SPACE: 'lab', TEMPORAL_ADDRESS: server.address, DXP_TASK_QUEUE: taskQueue });
  worker = await startTestWorker(server, { dataDir: join(dir, 'store'), taskQueue, env: { ARIZE_API_KEY: fake.apiKey, ARIZE_BASE_URL: baseUrl, ARIZE_SPACE: 'lab' } });
});

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
  await fake?.stop();
  process.env = saved;
});

async function log(file: string, opts: Omit<LogCommandOptions, 'dataset'> & { dataset?: string }): Promise<{ code: number; out: string }> {
  let out = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  try {
    const code = await logCommand(client, connectionConfigFromEnv(), file, { dataset: 'prompts', wait: true, ...opts });
    return { code, out };
  } finally {
    write.mockRestore();
  }
}

function runsOf(name: string) {
  const experiment = fake.experiments().find((e) => e.name === name);
  return experiment ? (fake.runs(experiment.id) as Record<string, unknown>[]) : [];
}

test('a CSV with example ids and evaluator columns becomes one experiment, exactly once despite lost responses', async () => {
  // 20 repetitions of 30 examples: 600 rows, two pages, so a create and an append.
  const rows = Array.from({ length: 20 }, (_, rep) => exampleIds.map((id, i) => `${id},${rep + 1},answer ${i},${i % 2},${i % 2 ? 'good' : 'bad'},"because, ${i}"`)).flat();
  const file = join(dir, 'results.csv');
  writeFileSync(file, ['example_id,rep,output,score,verdict,why', ...rows].join('\n') + '\n');
  fake.fault('POST /v2/experiments', { kind: 'commit-then-drop' });
  fake.fault('POST /v2/experiments/:id/runs', { kind: 'commit-then-drop' });
  const { code, out } = await log(file, { name: 'from-csv', repetitionCol: 'rep', eval: ['quality:score=score,label=verdict,explanation=why'] });
  expect(code).toBe(0);
  expect(fake.pendingFaults()).toBe(0);
  expect(out).toMatch(/600 rows read, 600 runs in Arize/);
  const runs = runsOf('from-csv');
  expect(runs).toHaveLength(600);
  expect(new Set(runs.map((r) => `${String(r.example_id)}#${String(r.repetition)}`)).size).toBe(600);
  expect(runs.find((r) => r.example_id === exampleIds[3])).toMatchObject({ output: 'answer 3', 'eval.quality.score': 1, 'eval.quality.label': 'good', 'eval.quality.explanation': 'because, 3' });
});

test('a JSONL without example ids is matched on a dataset column; bad rows are rejected alone', async () => {
  const lines = [
    ...Array.from({ length: 20 }, (_, i) => JSON.stringify({ prompt: `q${i}`, output: { text: `r${i}` }, ok: i % 3 === 0 })),
    '{"prompt": "q25", "output": ',
    JSON.stringify({ prompt: 'no such question', output: 'x', ok: true }),
    JSON.stringify({ prompt: 'q21', output: 'y', ok: 'maybe' }),
  ];
  const file = join(dir, 'results.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  fake.fault('POST /v2/experiments/:id/runs', { kind: '503' });
  const { code, out } = await log(file, { name: 'from-jsonl', match: 'prompt=question', eval: ['ok:score=ok'] });
  expect(code).toBe(0);
  expect(out).toMatch(/23 rows read, 20 runs in Arize/);
  expect(out).toMatch(/3 rows rejected/);
  expect(out).toMatch(/line 21 \(row 21\): invalid JSON/);
  expect(out).toMatch(/row 22: no single dataset example has question = "no such question"/);
  expect(out).toMatch(/row 23: evaluator 'ok': score column 'ok' holds 'maybe'/);
  const runs = runsOf('from-jsonl');
  expect(runs).toHaveLength(20);
  expect(runs.find((r) => r.example_id === exampleIds[2])).toMatchObject({ output: '{"text":"r2"}', 'eval.ok.score': 0 });
  await recordHistory(client, 'log/from-jsonl', 'log-experiment.json');
});

test('a row naming an example the dataset does not have is rejected alone with its row number; the known rows are logged exactly once', async () => {
  // Arize refuses a whole create/append (422) for one unknown example_id: the row must never reach it.
  fake.seedDataset(spaceId, 'known-ids', ['ex_000001', 'ex_000002', 'ex_000003'].map((id, i) => ({ id, question: `q${i}` })));
  const file = join(dir, 'unknown-id.csv');
  writeFileSync(file, 'example_id,output\nex_000001,90\nex_999999,1\nex_000002,3\n');
  // The create's answer is lost: the retry must adopt the experiment, not store the rows twice.
  const faultsBefore = fake.pendingFaults();
  fake.fault('POST /v2/experiments', { kind: 'commit-then-drop' });
  const requestsBefore = fake.requestLog().length;
  const { code, out } = await log(file, { dataset: 'known-ids', name: 'unknown-id' });
  expect(code).toBe(0);
  expect(fake.pendingFaults()).toBe(faultsBefore);
  expect(fake.requestLog().slice(requestsBefore).filter((e) => e.fault === 'commit-then-drop')).toHaveLength(1);
  expect(out).toMatch(/3 rows read, 2 runs in Arize experiment \S+/);
  expect(out).toMatch(/1 rows rejected:\n {4}row 2: unknown example_id ex_999999 \(no such example in Arize dataset known-ids\)\n/);
  const runs = runsOf('unknown-id');
  expect(runs.map((r) => [r.example_id, r.output])).toEqual([
    ['ex_000001', '90'],
    ['ex_000002', '3'],
  ]);
  const result = await client.workflow.getHandle('log/unknown-id').result();
  expect(result).toMatchObject({ rows: 3, rejected: 1, rejections: ['row 2: unknown example_id ex_999999 (no such example in Arize dataset known-ids)'], arize: { uploaded: 2 } });
  // Nothing refused by Arize along the way: the unknown row was stopped before the upload.
  expect(fake.requestLog().slice(requestsBefore).filter((e) => e.status === 422)).toEqual([]);
});

test('a table of which every row is rejected logs nothing and exits 1', async () => {
  fake.seedDataset(spaceId, 'none-of-these', [{ id: 'ex_only', question: 'q' }]);
  const file = join(dir, 'all-unknown.csv');
  writeFileSync(file, 'example_id,output\nex_nope_1,1\nex_nope_2,2\n');
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const { code, out } = await log(file, { dataset: 'none-of-these', name: 'all-unknown' });
    expect(code).toBe(1);
    expect(out).toMatch(/2 rows rejected:/);
    expect(stderr).toHaveBeenCalledWith('dxp log: nothing was logged: all 2 rows were rejected\n');
  } finally {
    stderr.mockRestore();
  }
  expect(runsOf('all-unknown')).toHaveLength(0);
});

test('a JSON array logs too, and running the same log again attaches instead of duplicating', async () => {
  const file = join(dir, 'results.json');
  writeFileSync(file, JSON.stringify(exampleIds.slice(0, 5).map((id) => ({ example_id: id, output: 'o', label: 'fine' }))));
  expect((await log(file, { name: 'from-json', eval: ['judge:label=label'] })).code).toBe(0);
  const again = await log(file, { name: 'from-json', eval: ['judge:label=label'] });
  expect(again.out).toMatch(/Attached to the existing log/);
  expect(runsOf('from-json')).toHaveLength(5);
});

test('a Parquet table logs too', async () => {
  const ids = exampleIds.slice(10, 22);
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'example_id', data: ids, type: 'STRING' },
      { name: 'output', data: ids.map((_, i) => `p${i}`), type: 'STRING' },
      { name: 'score', data: ids.map((_, i) => i / 10), type: 'DOUBLE' },
      { name: 'latency', data: ids.map((_, i) => BigInt(100 + i)), type: 'INT64' },
    ],
  });
  const file = join(dir, 'results.parquet');
  writeFileSync(file, new Uint8Array(buffer));
  const { code, out } = await log(file, { name: 'from-parquet', latencyCol: 'latency', eval: ['graded:score=score'] });
  expect(code).toBe(0);
  expect(out).toMatch(/12 rows read, 12 runs in Arize/);
  const runs = runsOf('from-parquet');
  expect(runs).toHaveLength(12);
  expect(runs.find((r) => r.example_id === ids[5])).toMatchObject({ output: 'p5', 'eval.graded.score': 0.5, latency_ms: 105 });
});

test('a table missing a mapped column is refused before anything starts, naming the column', async () => {
  const file = join(dir, 'bad.csv');
  writeFileSync(file, 'example_id,result\nx,y\n');
  await expect(log(file, { name: 'never' })).rejects.toThrow(CliError);
  await expect(log(file, { name: 'never' })).rejects.toThrow(/no column\(s\) output; it has: example_id, result/);
  await expect(log(file, { name: 'never', eval: ['x:score'] })).rejects.toThrow(/'score' is not <field>=<column>/);
  expect(fake.experiments().find((e) => e.name === 'never')).toBeUndefined();
});
