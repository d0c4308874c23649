/**
 * CSV and Parquet need every column before the first row is written, but an experiment can
 * have 100,000s of runs. So rows are first spooled to a temporary JSONL file while their
 * columns (in first-seen order) and the kinds of value in each are collected; then the writer
 * reads them back one at a time. Memory holds the column list, not the rows.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { withLineWriter, type Row } from './files';

/** JSON kinds of a column's values; `json` is an object or an array. null and missing values add none. */
export type ValueKind = 'string' | 'number' | 'boolean' | 'json';

export interface SpooledColumn {
  name: string;
  kinds: Set<ValueKind>;
}

export interface Spool {
  count: number;
  /** Every key of every row, in first-seen order. */
  columns: SpooledColumn[];
  /** The rows again, in order. */
  rows(): AsyncGenerator<Row>;
}

/** Spools `rows`, runs `fn` on the spool, and always deletes it. */
export async function withSpool<T>(rows: AsyncIterable<Row>, fn: (spool: Spool) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dxp-export-'));
  try {
    return await fn(await spoolTo(path.join(dir, 'rows.jsonl'), rows));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function spoolTo(file: string, rows: AsyncIterable<Row>): Promise<Spool> {
  const columns = new Map<string, SpooledColumn>();
  let count = 0;
  await withLineWriter(file, async (out) => {
    for await (const row of rows) {
      for (const [name, value] of Object.entries(row)) {
        let column = columns.get(name);
        if (column === undefined) {
          column = { name, kinds: new Set() };
          columns.set(name, column);
        }
        const kind = valueKind(value);
        if (kind !== undefined) column.kinds.add(kind);
      }
      await out.write(JSON.stringify(row));
      count += 1;
    }
  });
  return {
    count,
    columns: [...columns.values()],
    async *rows() {
      const input = createReadStream(file);
      try {
        for await (const line of createInterface({ input, crlfDelay: Infinity })) {
          if (line !== '') yield JSON.parse(line) as Row;
        }
      } finally {
        input.destroy();
      }
    },
  };
}

export function valueKind(value: unknown): ValueKind | undefined {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'object':
      return value === null ? undefined : 'json';
    default:
      return undefined;
  }
}
