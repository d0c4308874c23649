/** Reads an Arize AX dataset version page by page, bound like a local file (Arize's SDK rules). */
import type { ResolvedDataset } from '../../core/records';
import type { ArizeClient } from '../arize/types';
import { bindRow } from './binding';
import type { DatasetReader } from './reader';

/** The API's page size limit for dataset examples. */
const MAX_LIMIT = 500;

type ArizeSource = Extract<ResolvedDataset, { kind: 'arize' }>;

/** Our cursor: Arize's cursor plus the index of the next row (Arize pages carry no positions). */
interface Position {
  c: string | null;
  i: number;
}

function encode(p: Position): string {
  return Buffer.from(JSON.stringify(p)).toString('base64url');
}

function decode(cursor: string): Position {
  const p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Position>;
  if (typeof p.i !== 'number' || (p.c !== null && typeof p.c !== 'string')) throw new Error('invalid Arize dataset cursor');
  return { c: p.c ?? null, i: p.i };
}

export function openArizeDataset(client: ArizeClient, source: ArizeSource, signal?: AbortSignal): DatasetReader {
  const readPage: DatasetReader['readPage'] = async (cursor, limit) => {
    const at = cursor ? decode(cursor) : { c: null, i: 0 };
    const page = await client.listExamples(source.datasetId, { versionId: source.versionId, cursor: at.c, limit: Math.min(limit, MAX_LIMIT) }, { signal });
    const examples = page.items.map((row, k) => bindRow(row, at.i + k, source.binding, false));
    return { examples, nextCursor: page.nextCursor === null ? null : encode({ c: page.nextCursor, i: at.i + page.items.length }) };
  };
  return {
    readPage,
    async *scan() {
      let cursor: string | null = null;
      do {
        const page = await readPage(cursor, MAX_LIMIT);
        yield* page.examples;
        cursor = page.nextCursor;
      } while (cursor !== null);
    },
  };
}
