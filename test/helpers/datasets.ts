/** Reading a dataset reader to the end, as the pipeline does, for the dataset suites. */
import type { DatasetReader } from '../../activities/datasets';
import type { Example } from '../../core/records';

export async function collect(iterable: AsyncIterable<Example>): Promise<Example[]> {
  const out: Example[] = [];
  for await (const example of iterable) out.push(example);
  return out;
}

/** Every page from the first cursor to the last, checking that no page is over `limit`. */
export async function readAllPages(reader: DatasetReader, limit: number): Promise<{ examples: Example[]; pages: number }> {
  const examples: Example[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await reader.readPage(cursor, limit);
    pages += 1;
    expect(page.examples.length).toBeLessThanOrEqual(limit);
    examples.push(...page.examples);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return { examples, pages };
}
