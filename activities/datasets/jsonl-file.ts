/** JSONL datasets, streamed from the byte offset in the cursor: one object per line, a bad line fails its row only. */
import type { Example } from '../../core/records';
import { bindRow, malformed } from './binding';
import type { CursorState } from './cursor';
import { isPlainObject, jsonType } from './json';
import { lines, stripBom, type Entry, type Source } from './text-file';

export async function* jsonlEntries(source: Source, state: CursorState): AsyncGenerator<Entry> {
  let { n, l } = state;
  for await (const { text, end } of lines(source.path, state.o)) {
    l += 1;
    const line = state.o === 0 && l === 1 ? stripBom(text) : text;
    if (line.trim() === '') continue;
    const index = n;
    n += 1;
    const where = `line ${l} (row ${n})`;
    let example: Example;
    try {
      const value: unknown = JSON.parse(line);
      example = isPlainObject(value)
        ? bindRow(value, index, source.spec, false)
        : malformed(index, `${where}: expected a JSON object, got ${jsonType(value)}`);
    } catch (err) {
      example = malformed(index, `${where}: invalid JSON: ${(err as Error).message}`);
    }
    yield { example, next: { ...state, o: end, n, l } };
  }
}
