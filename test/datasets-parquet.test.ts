import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import { openLocalDataset, type DatasetReader } from '../activities/datasets';
import { localDatasetSchema, type LocalDatasetSpec } from '../core/spec';
import { collect, readAllPages } from './helpers/datasets';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dxp-parquet-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a Parquet fixture; `rowGroupSize` small to get several row groups. */
async function parquet(name: string, columnData: ColumnSource[], rowGroupSize?: number): Promise<string> {
  const buffer = parquetWriteBuffer({ columnData, ...(rowGroupSize ? { rowGroupSize } : {}) });
  await writeFile(path.join(dir, name), new Uint8Array(buffer));
  return name;
}

function open(file: string, spec: Partial<LocalDatasetSpec> = {}): DatasetReader {
  return openLocalDataset({ path: file, ...spec }, dir);
}

describe('reading Parquet datasets', () => {
  test('the spec accepts format parquet', () => {
    expect(localDatasetSchema.parse({ path: 'x.bin', format: 'parquet' })).toEqual({ path: 'x.bin', format: 'parquet' });
  });

  test('rows bind id, input, expected and metadata like JSON rows', async () => {
    const file = await parquet('bind.parquet', [
      { name: 'id', data: ['a1', 'a2', null], type: 'STRING' },
      { name: 'input', data: ['what is 2+2?', '{"q": 1}', 'third'], type: 'STRING' },
      { name: 'expected', data: ['4', 'yes', null], type: 'STRING' },
      { name: 'metadata', data: ['{"k": "v"}', null, '[1]'], type: 'STRING' },
      { name: 'extra', data: [{ nested: [1, 2] }, null, { nested: [] }], type: 'JSON' },
      { name: 'score', data: [0.5, 1, null], type: 'DOUBLE' },
      { name: 'ok', data: [true, false, null], type: 'BOOLEAN' },
    ]);
    const examples = await collect(open(file).scan());
    expect(examples[0]).toEqual({
      id: 'a1',
      index: 0,
      input: 'what is 2+2?',
      expected: '4',
      metadata: { k: 'v' },
      row: { id: 'a1', input: 'what is 2+2?', expected: '4', metadata: '{"k": "v"}', extra: { nested: [1, 2] }, score: 0.5, ok: true },
    });
    // JSON-looking strings stay strings (csv = false); null metadata means no metadata.
    expect(examples[1]).toMatchObject({ id: 'a2', input: '{"q": 1}', expected: 'yes', metadata: {} });
    // A null id is an empty id: the row fails alone.
    expect(examples[2]?.malformed).toMatch(/row 3: empty id in column 'id'/);
  });

  test('explicit columns bind, nested paths reach into struct-like JSON columns, and a missing column is a clear error', async () => {
    const file = await parquet('explicit.parquet', [
      { name: 'key', data: ['k1', 'k2'], type: 'STRING' },
      { name: 'question', data: ['q1', 'q2'], type: 'STRING' },
      { name: 'attributes', data: [{ answer: 'a1' }, { answer: 'a2' }], type: 'JSON' },
    ]);
    const examples = await collect(open(file, { idColumn: 'key', inputColumn: 'question', expectedColumn: 'attributes.answer' }).scan());
    expect(examples.map((e) => [e.id, e.input, e.expected])).toEqual([
      ['k1', 'q1', 'a1'],
      ['k2', 'q2', 'a2'],
    ]);
    await expect(open(file, { inputColumn: 'questoin' }).readPage(null, 10)).rejects.toThrow(
      /column 'questoin' is not in the schema of .*explicit\.parquet \(columns: key, question, attributes\)/,
    );
  });

  test('without id or input columns, ids are row numbers and the input is the whole row', async () => {
    const file = await parquet('noid.parquet', [
      { name: 'question', data: ['what?', 'who?'], type: 'STRING' },
      { name: 'answer', data: ['that', 'them'], type: 'STRING' },
    ]);
    const examples = await collect(open(file, { expectedColumn: 'answer' }).scan());
    expect(examples[1]).toEqual({
      id: 'row-2',
      index: 1,
      input: { question: 'who?', answer: 'them' },
      expected: 'them',
      metadata: {},
      row: { question: 'who?', answer: 'them' },
    });
  });

  test('INT64 becomes a number when safe and a string otherwise; timestamps become ISO strings', async () => {
    const big = 2n ** 60n + 1n;
    const when = new Date('2024-05-06T07:08:09.123Z');
    const file = await parquet('int64.parquet', [
      { name: 'id', data: [1n, 2n, -3n], type: 'INT64' },
      { name: 'count', data: [big, -big, null], type: 'INT64' },
      { name: 'small', data: [7, 8, 9], type: 'INT32' },
      { name: 'at', data: [when, null, new Date(0)], type: 'TIMESTAMP' },
    ]);
    const examples = await collect(open(file).scan());
    expect(examples.map((e) => e.id)).toEqual(['1', '2', '-3']);
    expect(examples.map((e) => e.row)).toEqual([
      { id: 1, count: big.toString(), small: 7, at: '2024-05-06T07:08:09.123Z' },
      { id: 2, count: (-big).toString(), small: 8, at: null },
      { id: -3, count: null, small: 9, at: '1970-01-01T00:00:00.000Z' },
    ]);
    // Rows are JSON-safe: they cross the Temporal boundary as JSON.
    expect(JSON.parse(JSON.stringify(examples))).toEqual(examples);
  });

  test('paging 1,000 rows in several row groups with small limits yields every row once, in order, as scan does', async () => {
    const n = 1000;
    const file = await parquet(
      'paging.parquet',
      [
        { name: 'id', data: Array.from({ length: n }, (_, i) => `id-${i}`), type: 'STRING' },
        { name: 'input', data: Array.from({ length: n }, (_, i) => `q ${i} ✓`), type: 'STRING' },
        { name: 'expected', data: Array.from({ length: n }, (_, i) => BigInt(i)), type: 'INT64' },
      ],
      64,
    );
    const scanned = await collect(open(file).scan());
    expect(scanned.map((e) => e.id)).toEqual(Array.from({ length: n }, (_, i) => `id-${i}`));
    expect(scanned[999]).toMatchObject({ index: 999, input: 'q 999 ✓', expected: 999 });
    for (const limit of [1, 7, 64, 333, 1000, 5000]) {
      const { examples, pages } = await readAllPages(open(file), limit);
      expect(pages).toBe(Math.ceil(n / limit));
      expect(examples).toEqual(scanned);
    }
  });

  test('an empty file has one empty page', async () => {
    const file = await parquet('empty.parquet', [{ name: 'id', data: [], type: 'STRING' }]);
    await expect(open(file).readPage(null, 10)).resolves.toEqual({ examples: [], nextCursor: null });
    await expect(collect(open(file).scan())).resolves.toEqual([]);
  });

  test('the spec format overrides the extension', async () => {
    const file = await parquet('rows.bin', [{ name: 'id', data: ['x'], type: 'STRING' }]);
    await expect(collect(open(file, { format: 'parquet' }).scan())).resolves.toMatchObject([{ id: 'x' }]);
  });

  test('a cursor from a file that changed since is refused; a bad or foreign cursor too', async () => {
    const file = await parquet('changing.parquet', [{ name: 'id', data: ['a', 'b', 'c'], type: 'STRING' }]);
    const first = await open(file).readPage(null, 1);
    expect(first.examples.map((e) => e.id)).toEqual(['a']);
    const cursor = first.nextCursor;
    expect(cursor).not.toBeNull();
    await expect(open(file).readPage(cursor, 1)).resolves.toMatchObject({ examples: [{ id: 'b', index: 1 }] });
    await expect(open(file).readPage('bm90IGpzb24', 1)).rejects.toThrow(/invalid dataset cursor for .*changing\.parquet/);
    const csvCursor = Buffer.from(JSON.stringify({ v: 1, f: 'csv', s: 1, o: 0, n: 0, l: 0, h: null })).toString('base64url');
    await expect(open(file).readPage(csvCursor, 1)).rejects.toThrow(/made for csv, not parquet/);
    await appendFile(path.join(dir, file), 'x');
    await expect(open(file).readPage(cursor, 1)).rejects.toThrow(/changing\.parquet changed since the cursor was made/);
  });

  test('a file that is not Parquet is a clear error naming the path', async () => {
    await writeFile(path.join(dir, 'fake.parquet'), 'id,input\n1,hello\n');
    await expect(open('fake.parquet').readPage(null, 10)).rejects.toThrow(/dataset .*fake\.parquet is not a Parquet file/);
    await expect(collect(open('fake.parquet').scan())).rejects.toThrow(/fake\.parquet is not a Parquet file/);
    await writeFile(path.join(dir, 'broken.parquet'), 'PAR1 this is not thrift at all PAR1');
    await expect(open('broken.parquet').readPage(null, 10)).rejects.toThrow(/dataset .*broken\.parquet is not a readable Parquet file/);
    await expect(open('missing.parquet').readPage(null, 10)).rejects.toThrow(/dataset file not found: .*missing\.parquet/);
  });

  test('timing: paging 100,000 rows', async () => {
    const n = 100_000;
    const file = await parquet('large.parquet', [
      { name: 'id', data: Array.from({ length: n }, (_, i) => `id-${i}`), type: 'STRING' },
      { name: 'input', data: Array.from({ length: n }, (_, i) => `question ${i}: what is ${i} + ${i}?`), type: 'STRING' },
      { name: 'expected', data: Array.from({ length: n }, (_, i) => BigInt(2 * i)), type: 'INT64' },
    ]);
    for (const limit of [100, 1000]) {
      const started = performance.now();
      const { examples, pages } = await readAllPages(open(file), limit);
      const ms = performance.now() - started;
      expect(examples).toHaveLength(n);
      expect(examples[n - 1]).toMatchObject({ id: `id-${n - 1}`, index: n - 1, expected: 2 * (n - 1) });
      console.log(`parquet paging: ${n} rows, limit ${limit}: ${pages} pages in ${ms.toFixed(0)} ms`);
    }
    const started = performance.now();
    let count = 0;
    for await (const _ of open(file).scan()) count += 1;
    expect(count).toBe(n);
    console.log(`parquet scan: ${n} rows in ${(performance.now() - started).toFixed(0)} ms`);
  });
});
