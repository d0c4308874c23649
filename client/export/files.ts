/**
 * What the export writers share: rows and their columns, cell text, a streaming line writer,
 * and output files that appear only once complete (written under a temporary name, then renamed).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';

/** One exported record (an Arize run): flat columns of any JSON value. */
export type Row = Record<string, unknown>;

/** What a writer wrote. */
export interface ExportResult {
  /** Rows written. */
  count: number;
  /** Columns in the file, in order (JSONL: every key seen, first-seen order). */
  columns: string[];
}

/** Writes `rows` to the file `out`. */
export type RowWriter = (rows: AsyncIterable<Row>, out: string) => Promise<ExportResult>;

/** Columns of a file with no rows (CSV and Parquet need at least one): those every Arize run has. */
export const EMPTY_COLUMNS = ['id', 'example_id', 'output'];

/** A cell as text: strings as they are, numbers and booleans printed, objects and arrays as JSON; missing → null. */
export function cellText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/**
 * Runs `write` on a temporary file next to `out`, then renames it to `out`: a failed or
 * interrupted export leaves no half-written file (and an earlier export stays whole).
 */
export async function writeAtomically<T>(out: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = `${out}.${process.pid}.${Date.now().toString(36)}.partial`;
  try {
    const result = await write(tmp);
    await rename(tmp, out);
    return result;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Lines to a file with back-pressure: `write` waits while the stream's buffer is full. */
export interface LineWriter {
  write(line: string): Promise<void>;
  /** Flushes and closes the file. */
  close(): Promise<void>;
  /** Closes the file without flushing, after a failure. */
  abort(): void;
}

/** Runs `fn` with a line writer on `file`, closing it after, or aborting it if `fn` throws. */
export async function withLineWriter<T>(file: string, fn: (out: LineWriter) => Promise<T>): Promise<T> {
  const out = lineWriter(file);
  try {
    const result = await fn(out);
    await out.close();
    return result;
  } catch (err) {
    out.abort();
    throw err;
  }
}

export function lineWriter(file: string): LineWriter {
  const stream: WriteStream = createWriteStream(file);
  let failure: Error | undefined;
  stream.on('error', (err) => {
    failure = err;
  });
  return {
    async write(line) {
      if (failure) throw failure;
      // `once` rejects if the stream fails while we wait.
      if (!stream.write(`${line}\n`)) await once(stream, 'drain');
    },
    async close() {
      if (failure) throw failure;
      // 'close' (after 'finish'): the descriptor is released before the file is renamed.
      const closed = once(stream, 'close');
      stream.end();
      await closed;
      if (failure) throw failure;
    },
    abort() {
      stream.destroy();
    },
  };
}
