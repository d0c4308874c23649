/**
 * Reading runs.jsonl, the local store's append-only file of run records: what a stored line is
 * (a run, or a torn or foreign line), and the byte-exact scan an append starts from, which finds
 * the stored run keys and where a torn tail begins so that it can be cut off. An unparseable line
 * is tolerated only last (a torn append); anywhere else it is corruption for a person to fix.
 */
import { createReadStream } from 'node:fs';
import { runKey, type RunRecord } from '../../core/records';

const NEWLINE = 0x0a;

/** A stored line as a run, or undefined when it is not one (torn or foreign). */
export function parseRun(line: string): RunRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const run = value as Partial<RunRecord>;
  return typeof run.exampleId === 'string' && typeof run.repetition === 'number' ? (value as RunRecord) : undefined;
}

interface Scan {
  keys: Set<string>;
  /** Byte offset just past the last good line: everything after it is a torn tail. */
  validEnd: number;
}

/**
 * Reads the first `size` bytes of runs.jsonl as a stream, collecting run keys.
 * Splits on bytes rather than with readline because the repair needs exact byte offsets.
 */
export async function scanRuns(file: string, size: number): Promise<Scan> {
  const keys = new Set<string>();
  let validEnd = 0;
  let lineNo = 0;
  let unparsed: number | null = null;
  let pending: Buffer[] = []; // the current line's bytes so far, when it spans chunks
  let position = 0; // byte offset of the current chunk

  if (size > 0) {
    for await (const chunk of createReadStream(file, { start: 0, end: size - 1 })) {
      const buf = chunk as Buffer;
      let from = 0;
      for (let nl = buf.indexOf(NEWLINE); nl !== -1; nl = buf.indexOf(NEWLINE, from)) {
        pending.push(buf.subarray(from, nl));
        const text = Buffer.concat(pending).toString('utf8');
        pending = [];
        from = nl + 1;
        lineNo++;
        // An unparseable line is only tolerated last: that is a torn append.
        if (unparsed !== null) throw corruptLine(file, unparsed);
        if (text.trim() !== '') {
          const run = parseRun(text);
          if (!run) {
            unparsed = lineNo;
            continue;
          }
          keys.add(runKey(run));
        }
        validEnd = position + from;
      }
      if (from < buf.length) pending.push(buf.subarray(from));
      position += buf.length;
    }
  }
  // A complete but unparseable line followed by a torn fragment is not a torn tail.
  if (unparsed !== null && pending.length > 0) throw corruptLine(file, unparsed);
  return { keys, validEnd };
}

export function corruptLine(file: string, lineNo: number): Error {
  return new Error(`${file}: line ${lineNo} is not a run record; fix or remove it by hand`);
}
