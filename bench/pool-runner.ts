/** The baseline: the same task function, called directly in this process, C at a time. */
import { performance } from 'node:perf_hooks';
import type { StepContext } from '../activities/tasks/define';
import { benchModule, type BenchTask } from './bench-tasks';
import { latencyOf, overhead, type RunnerResult } from './figures';
import { rssSampler } from './process-stats';

export async function runPool(task: BenchTask, rows: Record<string, unknown>[], c: number): Promise<RunnerResult> {
  const fn = benchModule.tasks[task.task];
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const sampler = rssSampler();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(c, rows.length) }, async () => {
      while (next < rows.length) {
        const row = rows[next++] as Record<string, unknown>;
        const controller = new AbortController();
        const start = performance.now();
        try {
          await fn(row, poolContext(row, controller.signal));
        } catch {
          failed++;
        }
        latencies.push(performance.now() - start);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const rss = sampler.stop();
  return {
    runner: 'pool',
    examples: rows.length,
    concurrency: c,
    wallMs,
    examplesPerSec: (rows.length / wallMs) * 1000,
    overheadPerExampleMs: overhead(wallMs, c, rows.length, task.ownMs),
    latencyMs: latencyOf(latencies),
    rss,
    failed,
  };
}

/** The step context a first attempt gets in the pipeline, minus the durable parts (no heartbeats, no resume). */
function poolContext(row: Record<string, unknown>, signal: AbortSignal): StepContext {
  const view = { id: String(row.id), input: row.input, expected: row.expected ?? null, metadata: {}, row };
  const sandbox = () => Promise.reject(new Error('the benchmark tasks use no sandbox'));
  return { ...view, example: view, repetition: 1, outputs: {}, attempt: 1, resumeFrom: undefined, heartbeat: () => undefined, signal, sandbox };
}
