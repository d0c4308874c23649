/**
 * Reads local Parquet datasets page by page with resumable cursors.
 *
 * A page reads only its row range: hyparquet fetches just the row groups (and, with an offset
 * index, the data pages) that overlap it. Since it still decodes at least whole data pages, and
 * whole column chunks when the file has no offset index, a page read decodes a window of rows
 * ahead (about 64 MB, at most 100,000 rows) that the following pages are served from; see
 * `cachedWindow` in parquet-rows.ts. Paging a file with small limits thus decodes each row group a
 * few times at most instead of once per page. `scan()` reads one row group at a time.
 *
 * This file is the DatasetReader; the file is opened and checked in parquet-open.ts, its rows are
 * decoded (and made JSON-safe, since examples cross the Temporal boundary as JSON) in
 * parquet-rows.ts, and cursors are made and read in parquet-cursor.ts. Rows are bound like JSON
 * rows (`bindRow(row, index, spec, false)`).
 */
import type { LocalDatasetSpec } from '../../core/spec';
import type { Example } from '../../core/records';
import { bindRow } from './binding';
import { encodeParquetCursor } from './parquet-cursor';
import { openParquet, withParquetFile } from './parquet-open';
import type { DatasetPage, DatasetReader } from './reader';

export { decodeParquetCursor, encodeParquetCursor, type ParquetCursorState } from './parquet-cursor';
export { jsonSafe } from './parquet-rows';

/** A Parquet dataset at an absolute path; the file is opened on each call and closed after it. */
export function openParquetDataset(file: string, spec: LocalDatasetSpec): DatasetReader {
  return {
    async readPage(cursor, limit): Promise<DatasetPage> {
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`page limit must be a positive integer, got ${limit}`);
      return withParquetFile(file, spec, cursor, async (pq) => {
        const start = pq.cursorRow;
        if (start > pq.rowCount) throw new Error(`invalid dataset cursor for ${file}`);
        const end = Math.min(start + limit, pq.rowCount);
        const rows = await pq.readRows(start, end);
        const examples = rows.map((row, i) => bindRow(row, start + i, spec, false));
        const nextCursor = end < pq.rowCount ? encodeParquetCursor({ v: 1, f: 'parquet', s: pq.size, n: end }) : null;
        return { examples, nextCursor };
      });
    },
    async *scan(): AsyncGenerator<Example> {
      const pq = await openParquet(file, spec, null);
      try {
        // One row group at a time: memory holds at most one group's rows.
        let groupStart = 0;
        for (const group of pq.metadata.row_groups) {
          const groupEnd = groupStart + Number(group.num_rows);
          if (groupEnd > groupStart) {
            const rows = await pq.readRows(groupStart, groupEnd, false);
            for (const [i, row] of rows.entries()) yield bindRow(row, groupStart + i, spec, false);
          }
          groupStart = groupEnd;
        }
      } finally {
        await pq.close();
      }
    },
  };
}
