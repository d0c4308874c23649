/**
 * Dataset cursors. The experiment workflow keeps the cursor between page reads, so it carries
 * everything needed to resume (byte offset, row and line counts, CSV header) and to notice that
 * the file changed under it.
 */
import { isPlainObject } from './json';

export type Format = 'csv' | 'json' | 'jsonl';

/** Where reading resumes. Serialized as base64url JSON; callers treat it as opaque. */
export interface CursorState {
  v: 1;
  f: Format;
  /** File size when the cursor was made: a changed file invalidates byte offsets. */
  s: number;
  /** Byte offset of the next record (CSV, JSONL). */
  o: number;
  /** 0-based index of the next data row. */
  n: number;
  /** Lines consumed before `o`, for line numbers in error messages. */
  l: number;
  /** CSV header columns, once read. */
  h: string[] | null;
}

export function initialState(f: Format, s: number): CursorState {
  return { v: 1, f, s, o: 0, n: 0, l: 0, h: null };
}

export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

/** Validates every field: a cursor comes back from outside and a bad one must not read garbage. */
export function decodeCursor(cursor: string, format: Format, size: number, file: string): CursorState {
  const invalid = () => new Error(`invalid dataset cursor for ${file}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!isPlainObject(parsed)) throw invalid();
  const state = parsed as Partial<CursorState>;
  const counts = [state.s, state.o, state.n, state.l];
  const header = state.h === null || (Array.isArray(state.h) && state.h.every((c) => typeof c === 'string'));
  if (state.v !== 1 || !counts.every((x) => Number.isInteger(x) && (x as number) >= 0) || !header) throw invalid();
  if (state.f !== format) throw new Error(`dataset cursor was made for ${state.f}, not ${format}, reading ${file}`);
  if (state.s !== size) {
    throw new Error(`dataset ${file} changed since the cursor was made (size ${state.s}, now ${size}); read it again from the start`);
  }
  return state as CursorState;
}
