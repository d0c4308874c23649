/**
 * Tasks of the pipeline-vs-pool benchmark, written with the same authoring API users use.
 * `benchTasks` maps the short name given to `--tasks` to the registered task name and the
 * time the task itself takes, which the benchmark subtracts to get per-example overhead.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { builtinEvaluators } from '../../activities/tasks/builtins';
import { defineTasks } from '../../activities/tasks/define';

export const SLEEP_MS = 200;
/** The long-task case: a fixed 2 s (300 examples at C=50 against the promise pool's 12 s). */
export const LONG_SLEEP_MS = 2_000;

/** The one code evaluator every runner scores each output with (a built-in: the floor and the pool call the same function). */
export const BENCH_EVALUATOR = 'exact-match';

/** BENCH_EVALUATOR called directly, as the floor's evaluator activity and the pool call it. */
export function benchEvaluate(output: unknown, row: Record<string, unknown>): number {
  const args = { output, expected: row.expected ?? null, input: row.input, datasetRow: row, metadata: {}, params: {}, signal: new AbortController().signal };
  return builtinEvaluators[BENCH_EVALUATOR](args) ? 1 : 0;
}

export const benchModule = defineTasks({
  tasks: {
    /** Does nothing: measures the pure cost of running one example. */
    'bench-noop': (row) => ({ id: row.id ?? null }),
    /** A fixed 200 ms of waiting, e.g. a model call; stops at once when the step is cancelled. */
    'bench-sleep200': async (row, ctx) => {
      await sleep(SLEEP_MS, undefined, { signal: ctx.signal });
      return { id: row.id ?? null };
    },
    /** A fixed 2 s of waiting, e.g. an agent's tool run. */
    'bench-sleep2000': async (row, ctx) => {
      await sleep(LONG_SLEEP_MS, undefined, { signal: ctx.signal });
      return { id: row.id ?? null };
    },
  },
});

export interface BenchTask {
  /** Name given to `--tasks`. */
  key: string;
  /** Name the worker's registry knows it by. */
  task: keyof NonNullable<typeof benchModule.tasks>;
  /** The task's own time per example, in ms. */
  ownMs: number;
}

export const benchTasks: Record<string, BenchTask> = {
  noop: { key: 'noop', task: 'bench-noop', ownMs: 0 },
  sleep200: { key: 'sleep200', task: 'bench-sleep200', ownMs: SLEEP_MS },
  sleep2000: { key: 'sleep2000', task: 'bench-sleep2000', ownMs: LONG_SLEEP_MS },
};
