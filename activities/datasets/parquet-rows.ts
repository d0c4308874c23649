/**
 * Reads the rows of an open Parquet file, and keeps what a following page can reuse: per file
 * version, the parsed footer (filled by parquet-open.ts) and the window of rows decoded last.
 * hyparquet decodes at least whole data pages, and whole column chunks when the file has no
 * offset index, so a page read decodes a window of rows ahead (about 64 MB, at most 100,000
 * rows) that the following pages are served from; see `cachedWindow`.
 *
 * Values are made JSON-safe, since examples cross the Temporal boundary as JSON: INT64 (BigInt)
 * becomes a number when it is a safe integer and a decimal string otherwise; dates (timestamps,
 * DATE) become ISO strings; raw binary becomes base64.
 */
import { parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';

/**
 * Per file version (path, size and mtime, so a changed file is never served from memory): its
 * parsed footer, so a page does not parse it again, and the window of rows decoded last (see
 * `cachedWindow`). A worker may page several Parquet datasets at once, hence a few files each.
 */
const CACHED_FILES = 4;
export const metadataCache = new Map<string, FileMetaData>();
const windowCache = new Map<string, Window>();

/** The entry, now the most recently used. */
export function remember<V>(cache: Map<string, V>, key: string): V | undefined {
  const value = cache.get(key);
  if (value !== undefined) {
    cache.delete(key);
    cache.set(key, value);
  }
  return value;
}

/** Stores the entry as the most recently used, dropping the least recently used beyond CACHED_FILES. */
export function keep<V>(cache: Map<string, V>, key: string, value: V): void {
  cache.delete(key);
  cache.set(key, value);
  for (const old of cache.keys()) {
    if (cache.size <= CACHED_FILES) break;
    cache.delete(old);
  }
}

interface Source {
  buffer: AsyncBuffer;
  metadata: FileMetaData;
  file: string;
  /** Identifies this version of the file (path, size, mtime) for the window cache. */
  key: string;
}

export async function readRows(source: Source, start: number, end: number, cache: boolean): Promise<Array<Record<string, unknown>>> {
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
