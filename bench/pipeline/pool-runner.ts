/** The baseline: the same task and evaluator functions, called directly in this process, C at a time. */
import { benchEvaluate, benchModule, type BenchTask } from '../shared/bench-tasks';
import { paceFigures, type RunnerResult } from '../shared/figures';
import { exampleView, firstAttemptContext, runInProcess } from '../shared/in-process';

export async function runPool(task: BenchTask, rows: Record<string, unknown>[], c: number): Promise<RunnerResult> {
  const fn = benchModule.tasks[task.task];
  let failed = 0;
  const { wallMs, latencies, rss } = await runInProcess(rows, c, async (row) => {
    const controller = new AbortController();
    try {
      benchEvaluate(await fn(row, firstAttemptContext(exampleView(row), controller.signal, 'the benchmark tasks use no sandbox')), row);
    } catch {
      failed++;
    }
  });
  return { runner: 'pool', ...paceFigures(rows.length, c, wallMs, task.ownMs, latencies, rss), failed };
}
