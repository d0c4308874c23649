/**
 * Reads local dataset files (CSV, JSON, JSONL, Parquet) page by page with resumable cursors.
 *
 * One reader per format, behind the one DatasetReader interface: csv-file.ts and jsonl-file.ts
 * stream from the byte offset stored in the cursor, so reading a file page by page costs O(N)
 * overall; json-file.ts parses the whole document on every page (a JSON document cannot be
 * resumed mid-way): use JSONL, CSV or Parquet for large datasets. parquet-file.ts keeps its own
 * row-index cursors.
 *
 * Rows are bound to examples in binding.ts; cursors are made and checked in cursor.ts. A row
 * that cannot be read becomes a malformed `Example`, so it fails alone instead of failing the
 * whole experiment.
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { LocalDatasetSpec } from '../../core/spec';
import type { Example } from '../../core/records';
import { decodeCursor, encodeCursor, initialState, type CursorState, type Format } from './cursor';
import { csvEntries } from './csv-file';
import { jsonEntries } from './json-file';
import { jsonlEntries } from './jsonl-file';
import { openParquetDataset } from './parquet-file';
import type { DatasetReader } from './reader';
import type { Entry, Source } from './text-file';

const EXTENSIONS: Record<string, Format | 'parquet'> = {
  '.csv': 'csv',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
};

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
