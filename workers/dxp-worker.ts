/**
 * One dxp worker = three SDK workers on one connection: the main one (workflows and every
 * activity), the model one (activities only, on the rate-limited model task queue) and the
 * results one (the store's activities, on a task queue named after this worker's results store,
 * so only workers that share an experiment's store ever write its runs). They start, stop and
 * fail together.
 */
import type { State, Worker } from '@temporalio/worker';

export interface DxpWorker {
  readonly taskQueue: string;
  readonly modelTaskQueue: string;
  /** Where the experiment's store activities run: one queue per results store. */
  readonly resultsTaskQueue: string;
  /** Runs all until shutdown (or SIGINT/SIGTERM); rejects with the first failure after all have stopped. */
  run(): Promise<void>;
  /** Stops polling on all; in-flight activities get the grace time. Safe to call more than once. */
  shutdown(): void;
  /** FAILED if any failed, RUNNING only while all run. */
  getState(): State;
}

export interface WorkerParts {
  main: Worker;
  model: Worker;
  results: Worker;
}

export interface CombineOptions {
  /** Runs once all have stopped, before run() settles (closing what their activities used). */
  afterStop?: () => Promise<void>;
}

export function combineWorkers(parts: WorkerParts, opts: CombineOptions = {}): DxpWorker {
  const workers = [parts.main, parts.model, parts.results];
  const shutdown = (): void => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    taskQueue: parts.main.options.taskQueue,
    modelTaskQueue: parts.model.options.taskQueue,
    resultsTaskQueue: parts.results.options.taskQueue,
    async run() {
      // Whichever stops first (failure or shutdown) takes the others down, so none runs alone.
      const results = await Promise.allSettled(workers.map((w) => w.run().finally(shutdown)));
      await opts.afterStop?.();
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    shutdown,
    getState() {
      const states = new Set(workers.map((w) => w.getState()));
      if (states.has('FAILED')) return 'FAILED';
      if (states.size === 1) return [...states][0] ?? 'STOPPED';
      if (states.has('INITIALIZED')) return 'INITIALIZED';
      // Otherwise one has begun to stop and takes the others with it.
      return 'STOPPING';
    },
  };
}

/** Releases workers that were created but will never run (a sibling failed to build): they hold the connection. */
export async function disposeUnstarted(...workers: Worker[]): Promise<void> {
  await Promise.all(
    workers.map(async (worker) => {
      const running = worker.run();
      worker.shutdown();
      await running;
    }),
  );
}
