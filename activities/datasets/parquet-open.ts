/**
 * Opens a local Parquet file for the reader in parquet-file.ts: the file must exist and be a
 * regular file, the cursor must match its size (checked before the content is parsed, as for the
 * other formats), the file must start and end with the Parquet magic bytes, and the columns the
 * spec names must be in its schema. The parsed footer is cached per file version (parquet-rows.ts
 * holds the caches); the open file reads its rows through parquet-rows.ts.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { parquetMetadataAsync, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import type { LocalDatasetSpec } from '../../core/spec';
import { decodeParquetCursor } from './parquet-cursor';
import { keep, metadataCache, readRows, remember } from './parquet-rows';

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

export async function withParquetFile<T>(file: string, spec: LocalDatasetSpec, cursor: string | null, fn: (pq: OpenParquet) => Promise<T>): Promise<T> {
  const pq = await openParquet(file, spec, cursor);
  try {
    return await fn(pq);
  } finally {
    await pq.close();
  }
}

const MAGIC = 'PAR1';

/** Opens the file; the cursor is checked against its size before the content is parsed, as for the other formats. */
export async function openParquet(file: string, spec: LocalDatasetSpec, cursor: string | null): Promise<OpenParquet> {
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
