import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { isSampled, openLocalDataset, planSample, type DatasetReader, type SamplePlan } from '../activities/datasets';
import type { Example } from '../core/records';
import { sampleSchema, type LocalDatasetSpec, type SampleSpec } from '../core/spec';
import { collect, readAllPages } from './helpers/datasets';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dxp-datasets-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fixture(name: string, content: string | Buffer): Promise<string> {
  await writeFile(path.join(dir, name), content);
  return name;
}

function open(file: string, spec: Partial<LocalDatasetSpec> = {}): DatasetReader {
  return openLocalDataset({ path: file, ...spec }, dir);
}

function csvQuote(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

describe('reading local datasets', () => {
  test('a CSV file binds id, input, expected and metadata, parsing JSON cells', async () => {
    const file = await fixture(
      'bind.csv',
      ['id,input,expected,metadata,topic', 'a1,"{""q"": 1}",yes,"{""k"": ""v""}",math', 'a2,plain text,yes,{},art,extra'].join('\n'),
    );
    const examples = await collect(open(file).scan());
    expect(examples).toHaveLength(2);
    expect(examples[0]).toEqual({
      id: 'a1',
      index: 0,
      input: { q: 1 },
      expected: 'yes',
      metadata: { k: 'v' },
      row: { id: 'a1', input: '{"q": 1}', expected: 'yes', metadata: '{"k": "v"}', topic: 'math' },
    });
    // A wrong column count is reported rather than bound.
    expect(examples[1]?.malformed).toMatch(/row 2 \(line 3\): expected 5 columns, got 6/);
  });

  test('CSV JSON-looking cells that do not parse stay strings and non-object metadata becomes {}', async () => {
    const file = await fixture('cells.csv', 'id,input,output,metadata\n7,"[1,2",done,"[""array""]"\n');
    const [example] = await collect(open(file).scan());
    expect(example).toMatchObject({ id: '7', input: '[1,2', expected: 'done', metadata: {} });
  });

  test('a CSV without id or input columns uses row numbers and the whole row as input', async () => {
    const file = await fixture('noid.csv', 'question,answer\nwhat?,that\nwho?,them\n');
    const examples = await collect(open(file, { expectedColumn: 'answer' }).scan());
    expect(examples.map((e) => e.id)).toEqual(['row-1', 'row-2']);
    expect(examples[1]).toEqual({
      id: 'row-2',
      index: 1,
      input: { question: 'who?', answer: 'them' },
      expected: 'them',
      metadata: {},
      row: { question: 'who?', answer: 'them' },
    });
  });

  test('explicit CSV columns that are not in the header are a clear error', async () => {
    const file = await fixture('typo.csv', 'id,question\n1,a\n');
    await expect(open(file, { inputColumn: 'questoin' }).readPage(null, 10)).rejects.toThrow(
      /column 'questoin' is not in the header of .*typo\.csv \(columns: id, question\)/,
    );
  });

  test('a JSON array binds values as they are, with Arize attribute columns and numeric ids', async () => {
    const rows = [
      { id: 1, 'attributes.input.value': 'hi', 'attributes.output.value': 'hello', 'attributes.metadata': { a: 1 } },
      { id: 2, attributes: { input: { value: 'nested' } }, expected_output: 42, metadata: '{"b":2}' },
      { id: 3, input: { x: 1 }, expected: null, output: 'ignored', metadata: '[1]' },
    ];
    const file = await fixture('rows.json', JSON.stringify(rows));
    const examples = await collect(open(file).scan());
    expect(examples.map((e) => [e.id, e.input, e.expected, e.metadata])).toEqual([
      ['1', 'hi', 'hello', { a: 1 }],
      ['2', 'nested', 42, { b: 2 }],
      ['3', { x: 1 }, null, {}],
    ]);
    expect(examples[0]?.row).toEqual(rows[0]);
    expect(examples.map((e) => e.index)).toEqual([0, 1, 2]);
  });

  test('a JSON object with an examples, data or rows array is read, paged and explicitly bound', async () => {
    for (const key of ['examples', 'data', 'rows']) {
      const rows = [1, 2, 3, 4, 5].map((i) => ({ key: `k${i}`, q: `q${i}`, a: `a${i}`, m: { i } }));
      const file = await fixture(`wrapped-${key}.json`, JSON.stringify({ name: 'x', [key]: rows }));
      const reader = open(file, { idColumn: 'key', inputColumn: 'q', expectedColumn: 'a', metadataColumn: 'm' });
      const { examples, pages } = await readAllPages(reader, 2);
      expect(pages).toBe(3);
      expect(examples.map((e) => e.id)).toEqual(['k1', 'k2', 'k3', 'k4', 'k5']);
      expect(examples[4]).toMatchObject({ input: 'q5', expected: 'a5', metadata: { i: 5 } });
    }
  });

  test('a JSONL file (and .ndjson) binds rows with the same rules', async () => {
    const lines = ['{"id":"x","input":"a","output":"b","metadata":{"m":1}}', '{"input":{"nested":true}}'];
    for (const name of ['rows.jsonl', 'rows.ndjson']) {
      const file = await fixture(name, lines.join('\n') + '\n');
      const examples = await collect(open(file).scan());
      expect(examples).toEqual([
        { id: 'x', index: 0, input: 'a', expected: 'b', metadata: { m: 1 }, row: JSON.parse(lines[0] ?? '') },
        { id: 'row-2', index: 1, input: { nested: true }, expected: null, metadata: {}, row: { input: { nested: true } } },
      ]);
    }
  });

  test('the spec format overrides the file extension', async () => {
    const file = await fixture('rows.txt', '{"id":"a","input":1}\n');
    const examples = await collect(open(file, { format: 'jsonl' }).scan());
    expect(examples.map((e) => e.id)).toEqual(['a']);
  });

  test('paging a 1,000-row CSV with small limits yields every row once, in order, as scan does', async () => {
    const header = 'id,input,expected';
    // Quoted commas, quotes, newlines and multi-byte text check that byte offsets stay exact.
    const rows = Array.from({ length: 1000 }, (_, i) =>
      [`id-${i}`, csvQuote(i % 7 === 0 ? `line one ${i}\nline "two" é` : `q, ${i} ✓`), `a${i}`].join(','),
    );
    const file = await fixture('big.csv', '\uFEFF' + [header, ...rows].join('\r\n') + '\r\n');
    const reader = open(file);
    const scanned = await collect(reader.scan());
    expect(scanned).toHaveLength(1000);
    for (const limit of [3, 7, 250, 1000, 5000]) {
      const { examples, pages } = await readAllPages(reader, limit);
      expect(pages).toBe(Math.max(1, Math.ceil(1000 / limit)));
      expect(examples).toEqual(scanned);
    }
    expect(scanned.map((e) => e.id)).toEqual(rows.map((_, i) => `id-${i}`));
    expect(scanned[7]?.input).toBe('line one 7\nline "two" é');
    expect(scanned[8]?.input).toBe('q, 8 ✓');
  });

  test('paging a 1,000-row JSONL file with small limits yields every row once, in order, as scan does', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ id: `j${i}`, input: `ünï ${i}`, expected: i }));
    // Blank lines here and there are skipped, and do not count as rows.
    const text = lines.map((line, i) => (i % 100 === 0 ? `${line}\n\n` : `${line}\n`)).join('');
    const file = await fixture('big.jsonl', text);
    const reader = open(file);
    const scanned = await collect(reader.scan());
    expect(scanned.map((e) => e.id)).toEqual(lines.map((_, i) => `j${i}`));
    expect(scanned.map((e) => e.index)).toEqual(lines.map((_, i) => i));
    for (const limit of [1, 3, 100, 999, 1000]) {
      const { examples } = await readAllPages(reader, limit);
      expect(examples).toEqual(scanned);
    }
  });

  test('the last page has a null cursor, even when the file ends exactly at the limit', async () => {
    const file = await fixture('four.jsonl', '{"a":1}\n{"a":2}\n{"a":3}\n{"a":4}\n\n\n');
    const reader = open(file);
    const first = await reader.readPage(null, 2);
    expect(first.nextCursor).not.toBeNull();
    const second = await reader.readPage(first.nextCursor, 2);
    expect(second.examples.map((e) => e.id)).toEqual(['row-3', 'row-4']);
    expect(second.nextCursor).toBeNull();
    const empty = await collect(open(await fixture('empty.csv', '')).scan());
    expect(empty).toEqual([]);
  });

  test('a CSV with a BOM and a quoted multi-line field reads the header and the field intact', async () => {
    const file = await fixture('bom.csv', Buffer.from('\uFEFFid,input\n1,"first line\nsecond, line"\n2,after\n', 'utf8'));
    const reader = open(file);
    const page1 = await reader.readPage(null, 1);
    expect(page1.examples[0]).toMatchObject({ id: '1', input: 'first line\nsecond, line', row: { id: '1', input: 'first line\nsecond, line' } });
    const page2 = await reader.readPage(page1.nextCursor, 1);
    expect(page2.examples.map((e) => [e.id, e.input])).toEqual([['2', 'after']]);
    expect(page2.nextCursor).toBeNull();
  });

  test('malformed CSV rows are reported with their row and line numbers while good rows around them are read', async () => {
    const file = await fixture(
      'bad.csv',
      ['id,input', 'a,1', 'b,2,extra', ',3', 'c,"multi', 'line"', 'd', 'e,"never closed', 'f,6', 'g,7'].join('\n') + '\n',
    );
    const examples = await collect(open(file).scan());
    expect(examples.map((e) => [e.id, e.malformed ?? 'ok'])).toEqual([
      ['a', 'ok'],
      ['row-2', 'row 2 (line 3): expected 2 columns, got 3'],
      ['row-3', "row 3: empty id in column 'id'"],
      ['c', 'ok'],
      ['row-5', 'row 5 (line 7): expected 2 columns, got 1'],
      ['row-6', 'row 6 (line 8): unreadable CSV record (CSV_QUOTE_NOT_CLOSED)'],
      ['f', 'ok'],
      ['g', 'ok'],
    ]);
    expect(examples[1]).toEqual({ id: 'row-2', index: 1, input: null, expected: null, metadata: {}, row: {}, malformed: expect.any(String) });
    // Paging one by one passes over the same malformed rows the same way.
    expect((await readAllPages(open(file), 1)).examples).toEqual(examples);
  });

  test('malformed JSONL lines are reported with line and row numbers while good lines around them are read', async () => {
    const file = await fixture('bad.jsonl', ['{"id":"a"}', '', '{not json', '[1,2]', '{"id":""}', '42', '{"id":"b"}'].join('\n'));
    const examples = await collect(open(file).scan());
    expect(examples.map((e) => e.id)).toEqual(['a', 'row-2', 'row-3', 'row-4', 'row-5', 'b']);
    expect(examples[1]?.malformed).toMatch(/^line 3 \(row 2\): invalid JSON/);
    expect(examples[2]?.malformed).toBe('line 4 (row 3): expected a JSON object, got array');
    expect(examples[3]?.malformed).toBe("row 4: empty id in column 'id'");
    expect(examples[4]?.malformed).toBe('line 6 (row 5): expected a JSON object, got number');
    expect(examples[5]).toMatchObject({ id: 'b', index: 5 });
    expect(examples[5]?.malformed).toBeUndefined();
  });

  test('malformed JSON array elements are reported with their row numbers', async () => {
    const file = await fixture('bad.json', JSON.stringify([{ id: 'a' }, 'text', null, { id: 'b' }, { id: { no: 1 } }]));
    const examples = await collect(open(file).scan());
    expect(examples.map((e) => [e.id, e.malformed ?? 'ok'])).toEqual([
      ['a', 'ok'],
      ['row-2', 'row 2: expected a JSON object, got string'],
      ['row-3', 'row 3: expected a JSON object, got null'],
      ['b', 'ok'],
      ['row-5', "row 5: id in column 'id' is not a string or number"],
    ]);
  });

  test('a JSON file that is not valid or has no rows array is an error naming the file', async () => {
    const invalid = await fixture('invalid.json', '[{"a":1},');
    await expect(open(invalid).readPage(null, 5)).rejects.toThrow(/invalid\.json is not valid JSON/);
    const shapeless = await fixture('shapeless.json', '{"items":[]}');
    await expect(collect(open(shapeless).scan())).rejects.toThrow(/shapeless\.json must hold a JSON array/);
  });

  test('a missing file is an error naming the resolved path', async () => {
    const reader = open('nope/missing.csv');
    const resolved = path.join(dir, 'nope', 'missing.csv');
    await expect(reader.readPage(null, 10)).rejects.toThrow(`dataset file not found: ${resolved}`);
    await expect(collect(reader.scan())).rejects.toThrow(resolved);
    await expect(open('.', { format: 'csv' }).readPage(null, 1)).rejects.toThrow(`dataset path is not a file: ${dir}`);
  });

  test('an unknown extension is an error naming the path and the accepted formats', () => {
    expect(() => open('data.xlsx')).toThrow(/data\.xlsx.*\.csv, \.json, \.jsonl, \.ndjson or \.parquet/);
  });

  test('a cursor is rejected once the file has changed, or when it is not a cursor', async () => {
    const file = await fixture('changing.jsonl', '{"a":1}\n{"a":2}\n{"a":3}\n');
    const reader = open(file);
    const { nextCursor } = await reader.readPage(null, 1);
    await fixture('changing.jsonl', '{"a":1}\n{"a":2}\n{"a":3}\n{"a":4}\n');
    await expect(reader.readPage(nextCursor, 1)).rejects.toThrow(/changed since the cursor was made/);
    await expect(reader.readPage('garbage', 1)).rejects.toThrow(/invalid dataset cursor/);
    await expect(reader.readPage(Buffer.from('null').toString('base64url'), 1)).rejects.toThrow(/invalid dataset cursor/);
    await expect(reader.readPage(null, 0)).rejects.toThrow(/positive integer/);
  });

  test('reading 100,000 JSONL rows page by page finishes', async () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => JSON.stringify({ id: `r${i}`, input: `question ${i}`, expected: `answer ${i}` }));
    const file = await fixture('huge.jsonl', lines.join('\n') + '\n');
    const started = Date.now();
    const { examples, pages } = await readAllPages(open(file), 500);
    console.log(`read 100,000 JSONL rows in ${pages} pages of 500 in ${Date.now() - started} ms`);
    expect(examples).toHaveLength(100_000);
    expect(examples[99_999]?.id).toBe('r99999');
  });
});

describe('sampling', () => {
  function makeExamples(strata: Record<string, number>): Example[] {
    const out: Example[] = [];
    for (const [group, size] of Object.entries(strata)) {
      for (let i = 0; i < size; i++) {
        const index = out.length;
        out.push({ id: `e${index}`, index, input: index, expected: null, metadata: {}, row: { group } });
      }
    }
    return out;
  }

  async function* each(examples: Example[]): AsyncIterable<Example> {
    yield* examples;
  }

  function spec(input: Record<string, unknown>): SampleSpec {
    return sampleSchema.parse(input);
  }

  function picked(plan: SamplePlan, examples: Example[]): string[] {
    return examples.filter((e) => isSampled(plan, e)).map((e) => e.id);
  }

  const examples = makeExamples({ a: 700, b: 300 });

  test('the same seed selects the same examples and a different seed selects different ones', async () => {
    const one = picked(await planSample(each(examples), spec({ count: 50, seed: 1 })), examples);
    const again = picked(await planSample(each(examples), spec({ count: 50, seed: 1 })), examples);
    const other = picked(await planSample(each(examples), spec({ count: 50, seed: 2 })), examples);
    expect(again).toEqual(one);
    expect(other).not.toEqual(one);
    // The plan survives a JSON round trip, as it does when it crosses into a workflow.
    const plan = JSON.parse(JSON.stringify(await planSample(each(examples), spec({ count: 50, seed: 1 })))) as SamplePlan;
    expect(picked(plan, examples)).toEqual(one);
  });

  test('a count keeps exactly that many examples', async () => {
    for (const count of [1, 13, 500, 999]) {
      const plan = await planSample(each(examples), spec({ count, seed: 7 }));
      expect(plan).toMatchObject({ selected: count, total: 1000 });
      expect(picked(plan, examples)).toHaveLength(count);
    }
  });

  test('a fraction keeps round(fraction × size) of each stratum, at least one', async () => {
    const mixed = makeExamples({ a: 41, b: 17, c: 1 });
    const plan = await planSample(each(mixed), spec({ fraction: 0.25, seed: 3, stratifyBy: 'group' }));
    const kept = mixed.filter((e) => isSampled(plan, e));
    const per = (g: string) => kept.filter((e) => e.row.group === g).length;
    expect([per('a'), per('b'), per('c')]).toEqual([10, 4, 1]);
    expect(plan.selected).toBe(15);
    const flat = await planSample(each(mixed), spec({ fraction: 0.5, seed: 3 }));
    expect(picked(flat, mixed)).toHaveLength(30);
  });

  test('a stratified count is split in proportion to stratum sizes', async () => {
    const plan = await planSample(each(examples), spec({ count: 10, seed: 11, stratifyBy: 'group' }));
    const kept = examples.filter((e) => isSampled(plan, e));
    expect(kept.filter((e) => e.row.group === 'a')).toHaveLength(7);
    expect(kept.filter((e) => e.row.group === 'b')).toHaveLength(3);
    // A small stratum still gets one when the count goes round, and the total stays exact.
    const skewed = makeExamples({ big: 990, small: 5, tiny: 5 });
    const skewedPlan = await planSample(each(skewed), spec({ count: 10, seed: 11, stratifyBy: 'group' }));
    const skewedKept = skewed.filter((e) => isSampled(skewedPlan, e));
    expect(skewedKept).toHaveLength(10);
    expect(new Set(skewedKept.map((e) => e.row.group))).toEqual(new Set(['big', 'small', 'tiny']));
  });

  test('a count larger than the dataset keeps every example', async () => {
    const plan = await planSample(each(examples), spec({ count: 5000, seed: 0, stratifyBy: 'group' }));
    expect(plan).toMatchObject({ selected: 1000, total: 1000 });
    expect(picked(plan, examples)).toHaveLength(1000);
  });

  test('malformed examples and unseen strata are never sampled nor counted', async () => {
    const bad: Example = { id: 'row-1001', index: 1000, input: null, expected: null, metadata: {}, row: {}, malformed: 'broken' };
    const plan = await planSample(each([...examples, bad]), spec({ count: 5000, seed: 0, stratifyBy: 'group' }));
    expect(plan.total).toBe(1000);
    expect(isSampled(plan, bad)).toBe(false);
    expect(isSampled(plan, { ...bad, malformed: undefined, row: { group: 'zzz' } } as Example)).toBe(false);
  });
});
