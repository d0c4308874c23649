/** The benchmark's dataset: N synthetic rows in a JSONL file, for both runners. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeDataset(workDir: string, n: number): { datasetPath: string; poolRows: Record<string, unknown>[] } {
  const rows = Array.from({ length: n }, (_, i) => ({ id: `ex-${String(i).padStart(6, '0')}`, input: `input ${i}`, expected: `input ${i}` }));
  const datasetPath = join(workDir, 'dataset.jsonl');
  writeFileSync(datasetPath, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  // The pool gets the rows as the pipeline's tasks see them: parsed from the same file.
  const poolRows = readFileSync(datasetPath, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { datasetPath, poolRows };
}
