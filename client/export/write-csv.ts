/**
 * Runs as CSV (RFC 4180, via csv-stringify). The header is the union of every row's columns in
 * first-seen order, so rows are spooled first (see spool.ts). Cells: strings as they are,
 * numbers and booleans printed (`true`/`false`), objects and arrays as JSON, missing or null empty.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { cellText, EMPTY_COLUMNS, writeAtomically, type ExportResult, type Row } from './files';
import { withSpool } from './spool';

export async function writeCsv(rows: AsyncIterable<Row>, out: string): Promise<ExportResult> {
  return withSpool(rows, (spool) => {
    const columns = spool.count === 0 ? EMPTY_COLUMNS : spool.columns.map((c) => c.name);
    async function* records(): AsyncGenerator<string[]> {
      for await (const row of spool.rows()) yield columns.map((column) => cellText(row[column]) ?? '');
    }
    return writeAtomically(out, async (tmp) => {
      await pipeline(Readable.from(records()), stringify({ header: true, columns }), createWriteStream(tmp));
      return { count: spool.count, columns };
    });
  });
}
