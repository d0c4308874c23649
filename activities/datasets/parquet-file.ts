/**
 * Reads local Parquet datasets page by page with resumable cursors.
 *
 * A page reads only its row range: hyparquet fetches just the row groups (and, with an offset
 * index, the data pages) that overlap it. Since it still decodes at least whole data pages, and
 * whole column chunks when the file has no offset index, a page read decodes a window of rows
 * ahead (about 64 MB, at most 100,000 rows) that the following pages are served from; see
 * `cachedWindow`. Paging a file with small limits thus decodes each row group a few times at
 * most instead of once per page. `scan()` reads one row group at a time.
 *
 * Values are made JSON-safe, since examples cross the Temporal boundary as JSON: INT64 (BigInt)
 * becomes a number when it is a safe integer and a decimal string otherwise; dates (timestamps,
 * DATE) become ISO strings; raw binary becomes base64. Rows are bound like JSON rows
 * (`bindRow(row, index, spec, false)`).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import type { LocalDatasetSpec } from '../../core/spec';
import type { Example } from '../../core/records';
import { bindRow } from './binding';
import { decodeEnvelope, encodeCursor } from './cursor';
import type { DatasetPage, DatasetReader } from './reader';

/** Where reading resumes. Serialized as base64url JSON; callers treat it as opaque. */
export interface ParquetCursorState {
  v: 1;
  f: 'parquet';
  /** File size when the cursor was made: a changed file invalidates row positions. */
  s: number;
  /** 0-based index of the next row. */
  n: number;
}

export function encodeParquetCursor(state: ParquetCursorState): string {
  return encodeCursor(state);
}

export function decodeParquetCursor(cursor: string, size: number, file: string): ParquetCursorState {
  const state = decodeEnvelope(cursor, 'parquet', size, file, (c) => Number.isInteger(c.n) && (c.n as number) >= 0);
  return state as unknown as ParquetCursorState;
}

/** A Parquet dataset at an absolute path; the file is opened on each call and closed after it. */
export function openParquetDataset(file: string, spec: LocalDatasetSpec): DatasetReader {
  return {
    async readPage(cursor, limit): Promise<DatasetPage> {
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`page limit must be a positive integer, got ${limit}`);
      return withParquetFile(file, spec, cursor, async (pq) => {
        const start = pq.cursorRow;
        if (start > pq.rowCount) throw new Error(`invalid dataset cursor for ${file}`);
        const end = Math.min(start + limit, pq.rowCount);
        const rows = await pq.readRows(start, end);
        const examples = rows.map((row, i) => bindRow(row, start + i, spec, false));
        const nextCursor = end < pq.rowCount ? encodeParquetCursor({ v: 1, f: 'parquet', s: pq.size, n: end }) : null;
        return { examples, nextCursor };
      });
    },
    async *scan(): AsyncGenerator<Example> {
      const pq = await openParquet(file, spec, null);
      try {
        // One row group at a time: memory holds at most one group's rows.
        let groupStart = 0;
        for (const group of pq.metadata.row_groups) {
          const groupEnd = groupStart + Number(group.num_rows);
          if (groupEnd > groupStart) {
            const rows = await pq.readRows(groupStart, groupEnd, false);
            for (const [i, row] of rows.entries()) yield bindRow(row, groupStart + i, spec, false);
          }
          groupStart = groupEnd;
        }
      } finally {
        await pq.close();
      }
    },
  };
}

// ---------------------------------------------------------------- file access

interface OpenParquet {
  size: number;
  /** Row the cursor resumes at (0 without one). */
  cursorRow: number;
  metadata: FileMetaData;
  rowCount: number;
  /** Rows [start, end), JSON-safe. `cache` false for one-pass reads (scan). */
  readRows(start: number, end: number, cache?: boolean): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

async function withParquetFile<T>(file: string, spec: LocalDatasetSpec, cursor: string | null, fn: (pq: OpenParquet) => Promise<T>): Promise<T> {
  const pq = await openParquet(file, spec, cursor);
  try {
    return await fn(pq);
  } finally {
    await pq.close();
  }
}

const MAGIC = 'PAR1';

/** Opens the file; the cursor is checked against its size before the content is parsed, as for the other formats. */
async function openParquet(file: string, spec: LocalDatasetSpec, cursor: string | null): Promise<OpenParquet> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`dataset file not found: ${file}`);
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw new Error(`dataset path is not a file: ${file}`);
    throw new Error(`cannot read dataset file ${file}: ${(err as Error).message}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`dataset path is not a file: ${file}`);
    const size = info.size;
    const cursorRow = cursor === null ? 0 : decodeParquetCursor(cursor, size, file).n;
    const buffer = fileBuffer(handle, size);
    const key = `${file}\0${size}\0${info.mtimeMs}`;
    const metadata = remember(metadataCache, key) ?? (await readMetadata(buffer, key, file));
    checkColumns(metadata, spec, file);
    const rowCount = Number(metadata.num_rows);
    return {
      size,
      cursorRow,
      metadata,
      rowCount,
      readRows: (start, end, cache = true) => readRows({ buffer, metadata, file, key }, start, end, cache),
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Parses the footer (after checking this is Parquet at all) and caches it for this file version. */
async function readMetadata(buffer: AsyncBuffer, key: string, file: string): Promise<FileMetaData> {
  await checkMagic(buffer, file);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    throw new Error(`dataset ${file} is not a readable Parquet file: ${(err as Error).message}`);
  }
  keep(metadataCache, key, metadata);
  return metadata;
}

/** An hyparquet AsyncBuffer over one open file handle. */
function fileBuffer(handle: FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end: number = size): Promise<ArrayBuffer> {
      const from = clamp(start < 0 ? size + start : start, size);
      const to = clamp(end < 0 ? size + end : end, size);
      const bytes = new Uint8Array(Math.max(0, to - from));
      let filled = 0;
      while (filled < bytes.length) {
        const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, from + filled);
        if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${from + filled} of ${size}`);
        filled += bytesRead;
      }
      return bytes.buffer;
    },
  };
}

function clamp(n: number, size: number): number {
  return Math.min(Math.max(n, 0), size);
}

/** Parquet files start and end with `PAR1`; anything else is refused before hyparquet sees it. */
async function checkMagic(buffer: AsyncBuffer, file: string): Promise<void> {
  const notParquet = new Error(`dataset ${file} is not a Parquet file (it does not start and end with the Parquet magic bytes PAR1)`);
  if (buffer.byteLength < 12) throw notParquet;
  const head = Buffer.from(await buffer.slice(0, 4)).toString('latin1');
  const tail = Buffer.from(await buffer.slice(buffer.byteLength - 4)).toString('latin1');
  if (head !== MAGIC || tail !== MAGIC) throw notParquet;
}

/** Explicitly named columns must exist (as a column, or a struct column holding the path): a typo would otherwise fail every row. */
function checkColumns(metadata: FileMetaData, spec: LocalDatasetSpec, file: string): void {
  const columns = parquetSchema(metadata).children.map((child) => child.element.name);
  const present = new Set(columns);
  for (const column of [spec.idColumn, spec.inputColumn, spec.expectedColumn, spec.metadataColumn]) {
    if (column === undefined || present.has(column)) continue;
    const head = column.split('.')[0];
    if (head !== undefined && head !== column && present.has(head)) continue;
    throw new Error(`column '${column}' is not in the schema of ${file} (columns: ${columns.join(', ')})`);
  }
}

// ---------------------------------------------------------------- caches

/**
 * Per file version (path, size and mtime, so a changed file is never served from memory): its
 * parsed footer, so a page does not parse it again, and the window of rows decoded last (see
 * `cachedWindow`). A worker may page several Parquet datasets at once, hence a few files each.
 */
const CACHED_FILES = 4;
const metadataCache = new Map<string, FileMetaData>();
const windowCache = new Map<string, Window>();

/** The entry, now the most recently used. */
function remember<V>(cache: Map<string, V>, key: string): V | undefined {
  const value = cache.get(key);
  if (value !== undefined) {
    cache.delete(key);
    cache.set(key, value);
  }
  return value;
}

/** Stores the entry as the most recently used, dropping the least recently used beyond CACHED_FILES. */
function keep<V>(cache: Map<string, V>, key: string, value: V): void {
  cache.delete(key);
  cache.set(key, value);
  for (const old of cache.keys()) {
    if (cache.size <= CACHED_FILES) break;
    cache.delete(old);
  }
}

// ---------------------------------------------------------------- rows

interface Source {
  buffer: AsyncBuffer;
  metadata: FileMetaData;
  file: string;
  /** Identifies this version of the file (path, size, mtime) for the window cache. */
  key: string;
}

async function readRows(source: Source, start: number, end: number, cache: boolean): Promise<Array<Record<string, unknown>>> {
  if (end <= start) return [];
  if (!cache) return readRange(source, start, end);
  const window = await cachedWindow(source, start, end);
  return window.rows.slice(start - window.start, end - window.start);
}

async function readRange(source: Source, start: number, end: number): Promise<Array<Record<string, unknown>>> {
  let rows: Array<Record<string, unknown>>;
  try {
    rows = await parquetReadObjects({ file: source.buffer, metadata: source.metadata, rowStart: start, rowEnd: end, useOffsetIndex: true });
  } catch (err) {
    throw new Error(`cannot read rows ${start + 1}-${end} of Parquet dataset ${source.file}: ${(err as Error).message}`);
  }
  return rows.map((row) => jsonSafe(row) as Record<string, unknown>);
}

/**
 * Rows decoded ahead of the page asked for, per file version. hyparquet can skip to a row only
 * at data-page boundaries, and only with an offset index; typical files have ~1 MB pages and
 * often no offset index, so reading 100 rows decodes whole column chunks. Reading each page on
 * its own would decode a row group once per page (quadratic in its size); reading a window of
 * rows ahead and serving the following pages from it decodes it a few times at most.
 */
interface Window {
  start: number;
  rows: Array<Record<string, unknown>>;
}

/** Uncompressed bytes (as the file's metadata estimates them) a window aims at. */
const WINDOW_BYTES = 64 * 1024 * 1024;
const WINDOW_MAX_ROWS = 100_000;
async function cachedWindow(source: Source, start: number, end: number): Promise<Window> {
  const cached = remember(windowCache, source.key);
  if (cached !== undefined && cached.start <= start && end <= cached.start + cached.rows.length) return cached;
  const rowCount = Number(source.metadata.num_rows);
  const windowEnd = Math.min(rowCount, Math.max(end, start + windowRows(source.metadata, start)));
  const window = { start, rows: await readRange(source, start, windowEnd) };
  keep(windowCache, source.key, window);
  return window;
}

/** Rows in a window: about WINDOW_BYTES of the row group holding `start`, at most WINDOW_MAX_ROWS. */
function windowRows(metadata: FileMetaData, start: number): number {
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const rows = Number(group.num_rows);
    if (start < groupStart + rows) {
      const bytesPerRow = Math.max(1, Number(group.total_byte_size) / Math.max(1, rows));
      return Math.max(1, Math.min(WINDOW_MAX_ROWS, Math.floor(WINDOW_BYTES / bytesPerRow)));
    }
    groupStart += rows;
  }
  return WINDOW_MAX_ROWS;
}

/** JSON-safe copy of a decoded Parquet value (see the file comment). */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, jsonSafe);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = jsonSafe(inner);
    return out;
  }
  return value;
}
