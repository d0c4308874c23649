/** What every dataset reader (CSV, JSON, JSONL, Parquet, Arize) offers: pages by cursor, and a full scan. */
import type { Example } from '../../core/records';

export interface DatasetPage {
  examples: Example[];
  nextCursor: string | null;
}

export interface DatasetReader {
  /** Reads up to `limit` examples after `cursor` (null = start). nextCursor is null once the file is exhausted. */
  readPage(cursor: string | null, limit: number): Promise<DatasetPage>;
  /** Every example in order (used for counting and sampling passes). */
  scan(): AsyncIterable<Example>;
}
