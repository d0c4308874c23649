/** Runs as JSON Lines: each row as received, one object per line, streamed (no spool). */
import { withLineWriter, writeAtomically, type ExportResult, type Row } from './files';

export async function writeJsonl(rows: AsyncIterable<Row>, out: string): Promise<ExportResult> {
  return writeAtomically(out, (tmp) =>
    withLineWriter(tmp, async (file) => {
      const columns = new Set<string>();
      let count = 0;
      for await (const row of rows) {
        for (const key of Object.keys(row)) columns.add(key);
        await file.write(JSON.stringify(row));
        count += 1;
      }
      return { count, columns: [...columns] };
    }),
  );
}
