/**
 * The in-process baselines' common part: rows taken C at a time by a plain promise pool, each
 * timed, and the context a step's first attempt gets, minus the durable parts.
 */
import { performance } from 'node:perf_hooks';
import type { ExampleView, StepContext } from '../../activities/tasks/define';
import { rssSampler } from './process-stats';

/** Runs `each` over the rows, at most `c` at once; `each` handles its own failures. */
export async function runInProcess(
  rows: Record<string, unknown>[],
  c: number,
  each: (row: Record<string, unknown>) => Promise<void>,
): Promise<{ wallMs: number; latencies: number[]; rss: { baselineMb: number; peakMb: number; samples: number } }> {
  const latencies: number[] = [];
  let next = 0;
  const sampler = rssSampler();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(c, rows.length) }, async () => {
      while (next < rows.length) {
        const row = rows[next++] as Record<string, unknown>;
        const start = performance.now();
        await each(row);
        latencies.push(performance.now() - start);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const rss = sampler.stop();
  return { wallMs, latencies, rss };
}

/** A dataset row as the pipeline's steps see it. */
export function exampleView(row: Record<string, unknown>): ExampleView {
  return { id: String(row.id), input: row.input, expected: row.expected ?? null, metadata: {}, row };
}

/** The step context a first attempt gets in the pipeline, minus the durable parts (no heartbeats, no resume). */
export function firstAttemptContext(view: ExampleView, signal: AbortSignal, noSandbox: string): StepContext {
  const sandbox = () => Promise.reject(new Error(noSandbox));
  const model = () => {
    throw new Error('the in-process pool has no model client');
  };
  return { ...view, example: view, repetition: 1, outputs: {}, attempt: 1, resumeFrom: undefined, heartbeat: () => undefined, signal, sandbox, model };
}
