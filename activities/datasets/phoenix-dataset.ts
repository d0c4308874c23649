/**
 * Reads a Phoenix dataset version page by page, bound like a local file: `id`, `input`,
 * `output` (the expected output) and `metadata` of each example. Phoenix serves a version's
 * examples in one body with no pages, and a version never changes, so each worker fetches it
 * once and cuts pages from its copy (the cursor is the next row's index).
 */
import type { ResolvedDataset } from '../../core/records';
import type { PhoenixClient, PhoenixExample } from '../phoenix/types';
import { bindRow } from './binding';
import type { DatasetReader } from './reader';

type PhoenixSource = Extract<ResolvedDataset, { kind: 'phoenix' }>;

/** Versions kept per worker: an experiment reads one; a few experiments at once share the worker. */
const CACHED_VERSIONS = 4;
const cache = new Map<string, Promise<PhoenixExample[]>>();

function examplesOf(client: PhoenixClient, source: PhoenixSource, signal?: AbortSignal): Promise<PhoenixExample[]> {
  const key = `${source.datasetId}@${source.versionId}`;
  let examples = cache.get(key);
  if (!examples) {
    examples = client.listExamples(source.datasetId, source.versionId, signal ? { signal } : {});
    // A failed fetch is not kept: the activity's retry fetches again.
    examples.catch(() => cache.delete(key));
    cache.set(key, examples);
    while (cache.size > CACHED_VERSIONS) cache.delete(cache.keys().next().value as string);
  }
  return examples;
}

function decode(cursor: string | null): number {
  if (cursor === null) return 0;
  const at = Number(cursor);
  if (!Number.isInteger(at) || at < 0) throw new Error(`invalid Phoenix dataset cursor '${cursor}'`);
  return at;
}

export function openPhoenixDataset(client: PhoenixClient, source: PhoenixSource, signal?: AbortSignal): DatasetReader {
  const readPage: DatasetReader['readPage'] = async (cursor, limit) => {
    const at = decode(cursor);
    const all = await examplesOf(client, source, signal);
    const rows = all.slice(at, at + Math.max(1, limit));
    const examples = rows.map(({ id, input, output, metadata }, k) => {
      const example = bindRow({ id, input, output, metadata }, at + k, source.binding, false);
      // A row that does not bind still fails as its own example: Phoenix takes runs of its ids only.
      return example.malformed ? { ...example, id } : example;
    });
    const next = at + rows.length;
    return { examples, nextCursor: next < all.length ? String(next) : null };
  };
  return {
    readPage,
    async *scan() {
      let cursor: string | null = null;
      do {
        const page = await readPage(cursor, 500);
        yield* page.examples;
        cursor = page.nextCursor;
      } while (cursor !== null);
    },
  };
}
