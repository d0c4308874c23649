/**
 * Reads local dataset files (CSV, JSON, JSONL, Parquet) page by page with resumable cursors.
 *
 * CSV and JSONL are streamed from the byte offset stored in the cursor, so reading a file
 * page by page costs O(N) overall. JSON files are parsed whole on every page (a JSON
 * document cannot be resumed mid-way); use JSONL, CSV or Parquet for large datasets. Parquet
 * files are read by parquet-file.ts, which keeps its own row-index cursors.
 *
 * Rows are bound to examples in binding.ts; cursors are made and checked in cursor.ts. A row
 * that cannot be read becomes a malformed `Example`, so it fails alone instead of failing the
 * whole experiment.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { CsvError, parse } from 'csv-parse';
import type { LocalDatasetSpec } from '../../core/spec';
import type { Example } from '../../core/records';
import { bindRow, malformed } from './binding';
import { decodeCursor, encodeCursor, initialState, type CursorState, type Format } from './cursor';
import { isPlainObject, jsonType } from './json';
import { openParquetDataset } from './parquet-file';
import type { DatasetReader } from './reader';

const EXTENSIONS: Record<string, Format | 'parquet'> = {
  '.csv': 'csv',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
};

interface Entry {
  example: Example;
  /** State that resumes right after this example. */
  next: CursorState;
}

interface Source {
  path: string;
  spec: LocalDatasetSpec;
}

export function openLocalDataset(spec: LocalDatasetSpec, baseDir: string = process.cwd()): DatasetReader {
  const resolved = path.resolve(baseDir, spec.path);
  const format = spec.format ?? formatFromExtension(resolved);
  if (format === 'parquet') return openParquetDataset(resolved, spec);
  const source: Source = { path: resolved, spec };

  return {
    async readPage(cursor, limit) {
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`page limit must be a positive integer, got ${limit}`);
      const size = await fileSize(resolved);
      const start = cursor === null ? initialState(format, size) : decodeCursor(cursor, format, size, resolved);
      const examples: Example[] = [];
      let last: CursorState | null = null;
      // Read one example past the page so nextCursor is null exactly when nothing is left.
      for await (const entry of entries(source, start)) {
        if (examples.length === limit) return { examples, nextCursor: last && encodeCursor(last) };
        examples.push(entry.example);
        last = entry.next;
      }
      return { examples, nextCursor: null };
    },
    async *scan() {
      const size = await fileSize(resolved);
      for await (const entry of entries(source, initialState(format, size))) yield entry.example;
    },
  };
}

function formatFromExtension(file: string): Format | 'parquet' {
  const ext = path.extname(file).toLowerCase();
  const format = EXTENSIONS[ext];
  if (format === undefined) {
    throw new Error(
      `cannot tell the format of dataset ${file} from its extension '${ext}': ` +
        `use .csv, .json, .jsonl, .ndjson or .parquet, or set format to csv, json, jsonl or parquet`,
    );
  }
  return format;
}

async function fileSize(file: string): Promise<number> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`dataset file not found: ${file}`);
    throw new Error(`cannot read dataset file ${file}: ${(err as Error).message}`);
  }
  if (!info.isFile()) throw new Error(`dataset path is not a file: ${file}`);
  return info.size;
}

function entries(source: Source, state: CursorState): AsyncGenerator<Entry> {
  switch (state.f) {
    case 'csv':
      return csvEntries(source, state);
    case 'jsonl':
      return jsonlEntries(source, state);
    case 'json':
      return jsonEntries(source, state);
  }
}

// ---------------------------------------------------------------- JSON

async function* jsonEntries(source: Source, state: CursorState): AsyncGenerator<Entry> {
  const rows = await readJsonRows(source.path);
  for (let i = state.n; i < rows.length; i++) {
    const n = i + 1;
    const value = rows[i];
    const example = isPlainObject(value)
      ? bindRow(value, i, source.spec, false)
      : malformed(i, `row ${n}: expected a JSON object, got ${jsonType(value)}`);
    yield { example, next: { ...state, n: i + 1 } };
  }
}

async function readJsonRows(file: string): Promise<unknown[]> {
  const text = stripBom(await readFile(file, 'utf8'));
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`dataset ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(doc)) return doc;
  if (isPlainObject(doc)) {
    for (const key of ['examples', 'data', 'rows']) {
      const rows = doc[key];
      if (Array.isArray(rows)) return rows;
    }
  }
  throw new Error(`dataset ${file} must hold a JSON array of objects, or an object with an examples, data or rows array`);
}

// ---------------------------------------------------------------- JSONL

async function* jsonlEntries(source: Source, state: CursorState): AsyncGenerator<Entry> {
  let { n, l } = state;
  for await (const { text, end } of lines(source.path, state.o)) {
    l += 1;
    const line = state.o === 0 && l === 1 ? stripBom(text) : text;
    if (line.trim() === '') continue;
    const index = n;
    n += 1;
    const where = `line ${l} (row ${n})`;
    let example: Example;
    try {
      const value: unknown = JSON.parse(line);
      example = isPlainObject(value)
        ? bindRow(value, index, source.spec, false)
        : malformed(index, `${where}: expected a JSON object, got ${jsonType(value)}`);
    } catch (err) {
      example = malformed(index, `${where}: invalid JSON: ${(err as Error).message}`);
    }
    yield { example, next: { ...state, o: end, n, l } };
  }
}

/** Lines from byte `start`, each with the byte offset just past its newline; a trailing `\r` is dropped. */
async function* lines(file: string, start: number): AsyncGenerator<{ text: string; end: number }> {
  let carry: Buffer[] = [];
  let chunkStart = start;
  for await (const chunk of createReadStream(file, { start }) as AsyncIterable<Buffer>) {
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
      const piece = chunk.subarray(from, nl);
      const bytes = carry.length > 0 ? Buffer.concat([...carry, piece]) : piece;
      carry = [];
      from = nl + 1;
      yield { text: dropCr(bytes.toString('utf8')), end: chunkStart + from };
    }
    if (from < chunk.length) carry.push(chunk.subarray(from));
    chunkStart += chunk.length;
  }
  if (carry.length > 0) yield { text: dropCr(Buffer.concat(carry).toString('utf8')), end: chunkStart };
}

function dropCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

// ---------------------------------------------------------------- CSV

interface CsvRecord {
  record: string[];
  /** Counted from the byte where this parse started. */
  info: { bytes: number; lines: number; empty_lines: number };
}

async function* csvEntries(source: Source, state: CursorState): AsyncGenerator<Entry> {
  let { o: offset, n, l, h: header } = state;
  for (;;) {
    // Place each record from the previous one: `info` restarts at every parse.
    let prevLines = 0;
    let prevEmpty = 0;
    let recordStart = offset;
    try {
      for await (const { record, info } of csvRecords(source.path, offset)) {
        const line = l + prevLines + (info.empty_lines - prevEmpty) + 1;
        prevLines = info.lines;
        prevEmpty = info.empty_lines;
        recordStart = offset + info.bytes;
        if (header === null) {
          header = record;
          checkCsvColumns(header, source);
          continue;
        }
        const index = n;
        n += 1;
        const example =
          record.length === header.length
            ? bindRow(csvRow(header, record), index, source.spec, true)
            : malformed(index, `row ${n} (line ${line}): expected ${header.length} columns, got ${record.length}`);
        yield { example, next: { ...state, o: recordStart, n, l: l + info.lines, h: header } };
      }
      return;
    } catch (err) {
      if (!(err instanceof CsvError)) throw err;
      if (header === null) throw new Error(`cannot read the CSV header of ${source.path}: ${err.message}`);
      // Broken quoting: report the record's first line as one malformed row and go on after it.
      const bad = await nextNonEmptyLine(source.path, recordStart);
      if (bad === null) return;
      const line = l + prevLines + bad.skipped + 1;
      const index = n;
      n += 1;
      offset = bad.end;
      l = line;
      const example = malformed(index, `row ${n} (line ${line}): unreadable CSV record (${err.code})`);
      yield { example, next: { ...state, o: offset, n, l, h: header } };
    }
  }
}

const CSV_SLICE_BYTES = 4096;

/**
 * Raw CSV records from byte `start`. Records are taken in `on_record` rather than read from the
 * stream because a parse error destroys the stream and would drop records parsed before it;
 * this way every good record is yielded before the error is thrown.
 */
async function* csvRecords(file: string, start: number): AsyncGenerator<CsvRecord> {
  const queue: CsvRecord[] = [];
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    relax_quotes: true,
    on_record: (record: string[], info) => {
      queue.push({ record, info: { bytes: info.bytes, lines: info.lines, empty_lines: info.empty_lines } });
      return null;
    },
  });
  parser.on('error', () => undefined); // reported through the write/end callbacks below
  const input = createReadStream(file, { start });
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      // Small slices: a page needing a few records should not pay for parsing a whole chunk.
      for (let from = 0; from < chunk.length; from += CSV_SLICE_BYTES) {
        const slice = chunk.subarray(from, from + CSV_SLICE_BYTES);
        const err = await new Promise<Error | null | undefined>((resolve) => parser.write(slice, resolve));
        yield* queue.splice(0);
        if (err) throw err;
      }
    }
    const err = await new Promise<Error | null>((resolve) => {
      parser.once('error', resolve);
      parser.once('finish', () => resolve(null));
      parser.end();
    });
    yield* queue.splice(0);
    if (err) throw err;
  } finally {
    input.destroy();
    parser.destroy();
  }
}

/** Explicitly named columns must exist: a typo would otherwise fail every row. */
function checkCsvColumns(header: string[], source: Source): void {
  const { idColumn, inputColumn, expectedColumn, metadataColumn } = source.spec;
  for (const column of [idColumn, inputColumn, expectedColumn, metadataColumn]) {
    if (column !== undefined && !header.includes(column)) {
      throw new Error(`column '${column}' is not in the header of ${source.path} (columns: ${header.join(', ')})`);
    }
  }
}

function csvRow(header: string[], record: string[]): Record<string, unknown> {
  return Object.fromEntries(header.map((column, i) => [column, record[i]]));
}

/** First line at or after `start` that is not empty, with how many empty lines came before it. */
async function nextNonEmptyLine(file: string, start: number): Promise<{ end: number; skipped: number } | null> {
  let skipped = 0;
  for await (const { text, end } of lines(file, start)) {
    if (text !== '') return { end, skipped };
    skipped += 1;
  }
  return null;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
