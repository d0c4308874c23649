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

export function encodeCursor(state: CursorState | { v: 1; f: string; s: number }): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

const isCount = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0;

/**
 * Decodes what every local-file cursor shares (version, format, file size), after `fieldsValid`
 * checked the format's own fields. A cursor comes back from outside: a bad one must not read garbage.
 */
export function decodeEnvelope(cursor: string, format: string, size: number, file: string, fieldsValid: (state: Record<string, unknown>) => boolean): Record<string, unknown> {
  const invalid = () => new Error(`invalid dataset cursor for ${file}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!isPlainObject(parsed) || parsed.v !== 1 || !isCount(parsed.s) || !fieldsValid(parsed)) throw invalid();
  if (parsed.f !== format) throw new Error(`dataset cursor was made for ${String(parsed.f)}, not ${format}, reading ${file}`);
  if (parsed.s !== size) {
    throw new Error(`dataset ${file} changed since the cursor was made (size ${String(parsed.s)}, now ${size}); read it again from the start`);
  }
  return parsed;
}

export function decodeCursor(cursor: string, format: Format, size: number, file: string): CursorState {
  const state = decodeEnvelope(cursor, format, size, file, (c) => {
    const header = c.h === null || (Array.isArray(c.h) && c.h.every((h) => typeof h === 'string'));
    return [c.o, c.n, c.l].every(isCount) && header;
  });
  return state as unknown as CursorState;
}
