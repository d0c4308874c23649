/**
 * The floor's activities (bench/floor): the benchmark task itself, called as the pipeline's step
 * activity calls it; its evaluator (BENCH_EVALUATOR), as the pipeline's evaluator activity runs it; rows from the
 * same JSONL file; records appended to a JSONL file, as the local results store does.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimpleTask } from '../../activities/tasks/define';
import { benchEvaluate } from '../shared/bench-tasks';
import { exampleView, firstAttemptContext } from '../shared/in-process';
import type { FloorActivities, FloorRow } from './contract';

export function createFloorActivities(task: SimpleTask, storeDir: string): FloorActivities {
  return {
    async readRows(datasetPath) {
      const text = await readFile(datasetPath, 'utf8');
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as FloorRow);
    },
    async runTask(row) {
      return task(row, firstAttemptContext(exampleView(row), new AbortController().signal, 'the benchmark tasks use no sandbox'));
    },
    async evaluate(output, row) {
      return benchEvaluate(output, row);
    },
    async storeRecords(name, records) {
      await mkdir(storeDir, { recursive: true });
      await appendFile(join(storeDir, `${name}.jsonl`), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
      return records.length;
    },
  };
}
