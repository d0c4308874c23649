/** JSON datasets: an array of objects (or one under `examples`, `data` or `rows`), parsed whole on every page (a JSON document cannot be resumed mid-way). */
import { readFile } from 'node:fs/promises';
import { bindRow, malformed } from './binding';
import type { CursorState } from './cursor';
import { isPlainObject, jsonType } from './json';
import { stripBom, type Entry, type Source } from './text-file';

export async function* jsonEntries(source: Source, state: CursorState): AsyncGenerator<Entry> {
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
