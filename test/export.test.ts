import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { createArizeClient, type ArizeExperiment, type ArizeHttpClient, type ArizeRun, type ArizeRunInput } from '../activities/arize';
import { CliError } from '../client/cli-context';
import { exportCommand, type ExportOptions } from '../client/commands/export';
import { writeParquet } from '../client/export/write-parquet';
import { createLocalStore } from '../activities/sinks';
import type { RunRecord } from '../core/records';
import { ArizeFake } from './fakes/arize';

const ENV_KEYS = ['ARIZE_API_KEY', 'ARIZE_BASE_URL', 'ARIZE_SPACE'] as const;
const savedEnv: Partial<Record<(typeof ENV_KEYS)[number], string>> = {};

let fake: ArizeFake;
let client: ArizeHttpClient;
let dir: string;
let experiment: ArizeExperiment;
/** The runs as Arize lists them back: what every export must hold. */
let runs: ArizeRun[];
let stdout: jest.SpyInstance;

const RUNS = 1234;

/** Runs with eval columns; some columns only on some runs, one of mixed kinds, one of objects. */
function makeRuns(exampleIds: string[]): ArizeRunInput[] {
  return Array.from({ length: RUNS }, (_, i) => {
    const run: ArizeRunInput = {
      example_id: exampleIds[i % exampleIds.length] ?? '',
      output: i % 50 === 0 ? `answer ${i}, with "quotes"\nand a new line ✓` : `answer ${i}`,
      'eval.correct.score': i % 4 === 0 ? 1 : 0.25,
      'eval.correct.label': i % 4 === 0 ? 'correct' : 'incorrect',
      latency_ms: i,
      passed: i % 2 === 0,
      metadata: { repetition: 1 + (i % 3), tags: ['a', `t${i % 5}`] },
    };
    if (i % 10 === 0) run['eval.correct.explanation'] = `because ${i}`;
    if (i >= 700) run['eval.late.score'] = i / 1000;
    if (i % 3 === 0) run.note = i % 2 === 0 ? 'even' : i;
    return run;
  });
}

beforeAll(async () => {
  for (const key of ENV_KEYS) savedEnv[key] = process.env[key];
  fake = new ArizeFake();
  const { baseUrl } = await fake.start();
  process.env.ARIZE_API_KEY = fake.apiKey;
  process.env.ARIZE_BASE_URL = baseUrl;
  process.env.ARIZE_SPACE = 'team';
  client = createArizeClient({ baseUrl, apiKey: fake.apiKey });
  dir = await mkdtemp(path.join(os.tmpdir(), 'dxp-export-test-'));

  const space = fake.seedSpace('team');
  const dataset = fake.seedDataset(
    space.id,
    'qa',
    Array.from({ length: 600 }, (_, i) => ({ 'attributes.input.value': `q${i}` })),
  );
  const exampleIds = dataset.versions[0]?.examples.map((e) => e.id) ?? [];
  const inputs = makeRuns(exampleIds);
  experiment = await client.createExperiment({ name: 'nightly/run 1', datasetId: dataset.id, runs: inputs.slice(0, 800) });
  await client.appendRuns(experiment.id, inputs.slice(800));

  runs = [];
  let cursor: string | null = null;
  do {
    const page = await client.listRuns(experiment.id, { cursor, limit: 500 });
    runs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  expect(runs).toHaveLength(RUNS);
});

afterAll(async () => {
  await client.close();
  await fake.stop();
  await rm(dir, { recursive: true, force: true });
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

beforeEach(() => {
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => {
  stdout.mockRestore();
});

function printed(): string {
  return stdout.mock.calls.map((call) => String(call[0])).join('');
}

/** Every key of every run, first-seen order. */
function unionColumns(rows: Array<Record<string, unknown>>): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}

function runsRequests(): number {
  return fake.requestLog().filter((e) => e.route === 'GET /v2/experiments/:id/runs').length;
}

async function exportTo(name: string, opts: ExportOptions, experimentRef = 'nightly/run 1'): Promise<string> {
  const out = path.join(dir, name);
  const before = runsRequests();
  await expect(exportCommand(experimentRef, { dataset: 'qa', out, ...opts })).resolves.toBe(0);
  // Every page of runs was read, 500 at a time.
  expect(runsRequests() - before).toBe(Math.ceil(RUNS / 500));
  expect(printed()).toContain(out);
  expect(printed()).toContain(`${RUNS} runs`);
  return out;
}

function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

describe('dxp export', () => {
  test('JSONL: every run as Arize lists it, one per line', async () => {
    const out = await exportTo('runs.jsonl', { format: 'jsonl' });
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(runs);
  });

  test('CSV: a header of every column in first-seen order; strings, numbers, booleans and JSON text; missing cells empty', async () => {
    const out = await exportTo('runs.csv', { format: 'csv' });
    const columns = unionColumns(runs);
    expect(columns).toEqual(expect.arrayContaining(['id', 'example_id', 'output', 'eval.correct.score', 'eval.correct.explanation', 'eval.late.score', 'note']));
    const records = parse(await readFile(out), { columns: true }) as Array<Record<string, string>>;
    const header = parse(await readFile(out), { to_line: 1 }) as string[][];
    expect(header[0]).toEqual(columns);
    expect(records).toHaveLength(RUNS);
    records.forEach((record, i) => {
      const run: Record<string, unknown> = runs[i] ?? {};
      expect(record).toEqual(Object.fromEntries(columns.map((c) => [c, cellText(run[c])])));
    });
    expect(records[0]).toMatchObject({ passed: 'true', latency_ms: '0', 'eval.correct.score': '1', metadata: '{"repetition":1,"tags":["a","t0"]}' });
    expect(records[1]).toMatchObject({ passed: 'false', 'eval.correct.score': '0.25', 'eval.correct.explanation': '', 'eval.late.score': '' });
  });

  test('Parquet: every column, typed by its values; objects as JSON text; missing as null', async () => {
    const out = await exportTo('runs.parquet', { format: 'parquet' });
    const bytes = await readFile(out);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const columns = unionColumns(runs);
    const metadata = parquetMetadata(file);
    const types = Object.fromEntries(metadata.schema.slice(1).map((e) => [e.name, e.type]));
    expect(Object.keys(types)).toEqual(columns);
    expect(types).toMatchObject({
      id: 'BYTE_ARRAY',
      output: 'BYTE_ARRAY',
      'eval.correct.score': 'DOUBLE',
      'eval.late.score': 'DOUBLE',
      latency_ms: 'DOUBLE',
      passed: 'BOOLEAN',
      metadata: 'BYTE_ARRAY',
      note: 'BYTE_ARRAY',
    });
    expect(metadata.row_groups.length).toBeGreaterThanOrEqual(1);
    const rows = await parquetReadObjects({ file });
    expect(rows).toHaveLength(RUNS);
    rows.forEach((row, i) => {
      const run: Record<string, unknown> = runs[i] ?? {};
      const expected = Object.fromEntries(
        columns.map((c) => {
          const value = run[c];
          if (value === undefined || value === null) return [c, null];
          if (types[c] === 'BYTE_ARRAY') return [c, cellText(value)];
          return [c, value];
        }),
      );
      expect(row).toEqual(expected);
    });
    expect(rows[3]).toMatchObject({ note: '3', 'eval.late.score': null, 'eval.correct.explanation': null });
    expect(rows[6]).toMatchObject({ note: 'even' });
    expect(rows[1000]).toMatchObject({ 'eval.late.score': 1, passed: true, latency_ms: 1000 });
  });

  test('Parquet in several row groups reads back the same', async () => {
    const rows = runs.map((run) => ({ ...run }));
    async function* source() {
      yield* rows;
    }
    const out = path.join(dir, 'groups.parquet');
    const result = await writeParquet(source(), out, { rowGroupRows: 100 });
    expect(result.count).toBe(RUNS);
    const bytes = await readFile(out);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    expect(parquetMetadata(file).row_groups).toHaveLength(Math.ceil(RUNS / 100));
    const back = await parquetReadObjects({ file, rowStart: 1150, rowEnd: 1160 });
    expect(back.map((r) => r.id)).toEqual(runs.slice(1150, 1160).map((r) => r.id));
  });

  test('by id, the default file is <experiment name>.<format> in the current directory; --out sets the format by its extension', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await expect(exportCommand(experiment.id, { format: 'jsonl' })).resolves.toBe(0);
    } finally {
      process.chdir(cwd);
    }
    const lines = (await readFile(path.join(dir, 'nightly_run 1.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(RUNS);
    expect(printed()).toContain(`${path.join(dir, 'nightly_run 1.jsonl')}: ${RUNS} runs of Arize experiment 'nightly/run 1'`);

    const out = path.join(dir, 'by-extension.CSV');
    await expect(exportCommand(experiment.id, { out })).resolves.toBe(0);
    expect(parse(await readFile(out), { columns: true })).toHaveLength(RUNS);
    // No partial files are left behind.
    expect((await readdir(dir)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  test('the space comes from --space, else ARIZE_SPACE', async () => {
    await expect(exportCommand('nightly/run 1', { dataset: 'qa', space: 'team', out: path.join(dir, 'space.jsonl') })).resolves.toBe(0);
    await expect(exportCommand('nightly/run 1', { dataset: 'qa', space: 'elsewhere', out: path.join(dir, 'x.jsonl') })).rejects.toMatchObject({
      exitCode: 2,
    });
  });

  test('an unknown experiment, dataset or format, or a name without --dataset, exits 2 with a clear message', async () => {
    const failure = async (experimentRef: string, opts: ExportOptions): Promise<CliError> => {
      const err = await exportCommand(experimentRef, opts).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CliError);
      expect(err).toMatchObject({ exitCode: 2 });
      return err as CliError;
    };
    const out = path.join(dir, 'never.jsonl');
    expect((await failure('no-such-experiment', { dataset: 'qa', out })).message).toMatch(/no experiment named 'no-such-experiment' on Arize dataset 'qa'/);
    expect((await failure('nightly/run 1', { out })).message).toMatch(/--dataset/);
    expect((await failure('nightly/run 1', { dataset: 'no-such-dataset', out })).message).toMatch(/--dataset: .*no-such-dataset/);
    const missingId = Buffer.from('Experiment:999999').toString('base64');
    expect((await failure(missingId, { out })).message).toMatch(/no Arize experiment with id/);
    expect((await failure('nightly/run 1', { dataset: 'qa', format: 'xlsx', out })).message).toMatch(/unknown export format 'xlsx'/);
    expect((await failure('nightly/run 1', { dataset: 'qa', out: path.join(dir, 'runs.txt') })).message).toMatch(/unknown export format 'txt'/);
    expect((await failure('nightly/run 1', { dataset: 'qa' })).message).toMatch(/give --format/);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  });
});

describe('dxp export from the results store', () => {
  test('an experiment in the local store is exported from there, with the Arize column names, before Arize is asked', async () => {
    const storeDir = path.join(dir, 'store');
    const store = createLocalStore(storeDir);
    await store.open({ experimentId: 'local-exp', name: 'local-exp', spec: { task: 'echo' }, startedAt: '2026-01-01T00:00:00.000Z', workflowId: 'experiment/local-exp' });
    const stored: RunRecord[] = ['q1', 'q2', 'q3'].map((id, i) => ({
      exampleId: id,
      repetition: 1,
      output: { answer: `a${i}`, zeta: 1 },
      ...(i === 2 ? { error: 'boom' } : {}),
      evaluations: { exact: { score: i % 2, label: i % 2 ? 'yes' : 'no' } },
      steps: [{ name: 'solve', durationMs: 3, attempts: 2 }],
      startedAt: `2026-01-01T00:00:0${i}.000Z`,
      durationMs: 3 + i,
      workflowId: `experiment/local-exp/example/${id}/rep/1`,
    }));
    await store.append('local-exp', stored);
    const before = fake.requestLog().length;
    const out = path.join(dir, 'local.csv');
    await expect(exportCommand('local-exp', { out, dataDir: storeDir })).resolves.toBe(0);
    expect(fake.requestLog().length).toBe(before);
    expect(printed()).toContain(`3 runs of experiment 'local-exp' from ${storeDir}`);
    const records = parse(await readFile(out), { columns: true }) as Array<Record<string, string>>;
    expect(records.map((r) => [r.example_id, r.output, r['eval.exact.score'], r['eval.exact.label'], r.error, r.latency_ms, r.attempts, r.started_at, r['dxp.run_key']])).toEqual(
      stored.map((r) => [r.exampleId, JSON.stringify(r.output), String(r.evaluations.exact!.score), r.evaluations.exact!.label, r.error ?? '', String(r.durationMs), '2', r.startedAt, `${r.exampleId}#1`]),
    );
  });

  test('without the experiment in the store and without ARIZE_API_KEY, it says where it looked (exit 2)', async () => {
    const key = process.env.ARIZE_API_KEY;
    delete process.env.ARIZE_API_KEY;
    try {
      const err = await exportCommand('nowhere', { format: 'jsonl', dataDir: path.join(dir, 'empty-store') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
      expect((err as Error).message).toMatch(/no experiment 'nowhere' in the results store .*empty-store, and no ARIZE_API_KEY/);
    } finally {
      process.env.ARIZE_API_KEY = key;
    }
  });
});
