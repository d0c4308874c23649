/**
 * What the text readers (CSV, JSON, JSONL) share: the entry each yields (an example and the cursor
 * state right after it), the file they read, and byte-offset lines that a cursor can resume from.
 */
import { createReadStream } from 'node:fs';
import type { LocalDatasetSpec } from '../../core/spec';
import type { Example } from '../../core/records';
import type { CursorState } from './cursor';

export interface Entry {
  example: Example;
  /** State that resumes right after this example. */
  next: CursorState;
}

export interface Source {
  path: string;
  spec: LocalDatasetSpec;
}

/** Lines from byte `start`, each with the byte offset just past its newline; a trailing `\r` is dropped. */
export async function* lines(file: string, start: number): AsyncGenerator<{ text: string; end: number }> {
  let carry: Buffer[] = [];
  let chunkStart = start;
  for await (const chunk of createReadStream(file, { start }) as AsyncIterable<Buffer>) {
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
      const piece = chunk.subarray(from, nl);
      const bytes = carry.length > 0 ? Buffer.concat([...carry, piece]) : piece;
      carry = [];
      from = nl + 1;
      yield { text: dropCr(bytes.toString('utf8')), end: chunkStart + from };
    }
    if (from < chunk.length) carry.push(chunk.subarray(from));
    chunkStart += chunk.length;
  }
  if (carry.length > 0) yield { text: dropCr(Buffer.concat(carry).toString('utf8')), end: chunkStart };
}

function dropCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
