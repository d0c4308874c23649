/**
 * Parquet dataset cursors: the row index reading resumes at, and the file size it was made
 * against, so a cursor into a file that changed since is refused (checked in cursor.ts, as for
 * the other formats). Made by parquet-file.ts after each page; read back by parquet-open.ts
 * before the file's content is parsed.
 */
import { decodeEnvelope, encodeCursor } from './cursor';

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
