/**
 * The Phoenix dataset reader's paging and binding, over an in-memory version (the real server is
 * in test/phoenix-pipeline.test.ts): pages cut from one fetch, every row once, a row that does
 * not bind failing alone under its Phoenix id (runs link to Phoenix's example ids only).
 */
import { openPhoenixDataset } from '../activities/datasets/phoenix-dataset';
import type { PhoenixClient, PhoenixExample } from '../activities/phoenix/types';

function version(n: number): { client: PhoenixClient; fetches: () => number } {
  const examples: PhoenixExample[] = Array.from({ length: n }, (_, i) => ({ id: `ex-${i}`, input: { q: i }, output: { a: i }, metadata: i === 4 ? {} : { topic: 't' } }));
  let fetches = 0;
  const client = {
    listExamples: async () => {
      fetches++;
      return examples;
    },
  } as unknown as PhoenixClient;
  return { client, fetches: () => fetches };
}

test('pages are cut from one fetch of the pinned version, and together hold every example once', async () => {
  const { client, fetches } = version(7);
  const reader = openPhoenixDataset(client, { kind: 'phoenix', datasetId: 'pages-ds', datasetName: 'd', versionId: 'v1', binding: {} });
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await reader.readPage(cursor, 3);
    ids.push(...page.examples.map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  expect(ids).toEqual(['ex-0', 'ex-1', 'ex-2', 'ex-3', 'ex-4', 'ex-5', 'ex-6']);
  expect(fetches()).toBe(1);
  const [first] = (await reader.readPage(null, 1)).examples;
  expect(first).toMatchObject({ id: 'ex-0', index: 0, input: { q: 0 }, expected: { a: 0 }, metadata: { topic: 't' }, row: { id: 'ex-0', input: { q: 0 }, output: { a: 0 }, metadata: { topic: 't' } } });
});

test('a row missing an explicit column fails alone, under its Phoenix example id', async () => {
  const { client } = version(6);
  const reader = openPhoenixDataset(client, { kind: 'phoenix', datasetId: 'bind-ds', datasetName: 'd', versionId: 'v1', binding: { metadataColumn: 'metadata.topic' } });
  const examples = (await reader.readPage(null, 10)).examples;
  expect(examples.filter((e) => e.malformed).map((e) => [e.id, e.malformed])).toEqual([['ex-4', expect.stringContaining("missing metadata column 'metadata.topic'")]]);
  expect(examples[0]).toMatchObject({ id: 'ex-0', metadata: {} });
  expect(examples[0]).not.toHaveProperty('malformed');
});
