/**
 * Runs as Parquet (hyparquet-writer). Columns are the union of every row's keys in first-seen
 * order (rows are spooled first, see spool.ts), all nullable, missing values null. A column's type
 * follows its values: only numbers → DOUBLE (JSON numbers are doubles; one schema whatever the
 * values, so integer-looking scores do not turn a column into INT64 in one export and DOUBLE in
 * the next); only booleans → BOOLEAN; anything else → STRING, with strings as they are and numbers,
 * booleans, objects and arrays as their JSON text.
 *
 * Memory: rows are read back from the spool and written one row group (ROW_GROUP_ROWS rows) at a
 * time, each flushed to the file before the next is built; the file is never held in memory whole.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ByteWriter, ParquetWriter, schemaFromColumnData, type BasicType, type ColumnSource } from 'hyparquet-writer';
import { cellText, EMPTY_COLUMNS, writeAtomically, type ExportResult, type Row } from './files';
import { withSpool, type SpooledColumn } from './spool';

/** Rows per row group: a few MB for typical runs; readers page through groups of this size. */
export const ROW_GROUP_ROWS = 10_000;

type ParquetColumnType = Extract<BasicType, 'DOUBLE' | 'BOOLEAN' | 'STRING'>;

export async function writeParquet(rows: AsyncIterable<Row>, out: string, options: { rowGroupRows?: number } = {}): Promise<ExportResult> {
  const groupRows = options.rowGroupRows ?? ROW_GROUP_ROWS;
  return withSpool(rows, (spool) => {
    const spooled = spool.count === 0 ? EMPTY_COLUMNS.map((name) => ({ name, kinds: new Set<never>() })) : spool.columns;
    const columns = spooled.map((column) => ({ name: column.name, type: columnType(column) }));
    const schema = schemaFromColumnData({ columnData: columns.map(({ name, type }) => ({ name, type, data: [], nullable: true })) });
    return writeAtomically(out, async (tmp) => {
      const handle = await open(tmp, 'w');
      try {
        const writer = new ParquetWriter({ writer: new FileSink(handle), schema });
        let batch: Row[] = [];
        const writeBatch = async () => {
          if (batch.length === 0) return;
          const columnData: ColumnSource[] = columns.map(({ name, type }) => ({ name, data: batch.map((row) => cell(row[name], type)) }));
          await writer.write({ columnData, rowGroupSize: batch.length });
          batch = [];
        };
        for await (const row of spool.rows()) {
          batch.push(row);
          if (batch.length === groupRows) await writeBatch();
        }
        await writeBatch();
        await writer.finish();
      } finally {
        await handle.close();
      }
      return { count: spool.count, columns: columns.map((c) => c.name) };
    });
  });
}

function columnType(column: SpooledColumn): ParquetColumnType {
  if (column.kinds.size === 1 && column.kinds.has('number')) return 'DOUBLE';
  if (column.kinds.size === 1 && column.kinds.has('boolean')) return 'BOOLEAN';
  return 'STRING';
}

function cell(value: unknown, type: ParquetColumnType): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (type === 'STRING') return cellText(value);
  return value as number | boolean;
}

/**
 * A hyparquet-writer `Writer` that appends to a file: ParquetWriter calls `flush()` after each
 * row group (and waits for it), so the buffer holds at most one row group. Offsets stay
 * file-relative because `offset` counts every byte written, flushed or not.
 */
class FileSink extends ByteWriter {
  constructor(private readonly handle: FileHandle) {
    super(1 << 20);
  }

  async flush(): Promise<void> {
    let written = 0;
    while (written < this.index) {
      const { bytesWritten } = await this.handle.write(new Uint8Array(this.buffer, written, this.index - written));
      written += bytesWritten;
    }
    this.index = 0;
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}
