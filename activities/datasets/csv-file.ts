/**
 * CSV datasets, streamed from the byte offset in the cursor: the header row names the columns, a
 * record with the wrong column count or broken quoting fails its row only.
 */
import { createReadStream } from 'node:fs';
import { CsvError, parse } from 'csv-parse';
import { bindRow, malformed } from './binding';
import type { CursorState } from './cursor';
import { lines, type Entry, type Source } from './text-file';

interface CsvRecord {
  record: string[];
  /** Counted from the byte where this parse started. */
  info: { bytes: number; lines: number; empty_lines: number };
}

export async function* csvEntries(source: Source, state: CursorState): AsyncGenerator<Entry> {
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
