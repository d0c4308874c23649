/**
 * One dxp worker = two SDK workers on one connection: the main one (workflows and every
 * activity) and the model one (activities only, on the rate-limited model task queue).
 * They start, stop and fail together.
 */
import type { State, Worker } from '@temporalio/worker';

export interface DxpWorker {
  readonly taskQueue: string;
  readonly modelTaskQueue: string;
  /** Runs both until shutdown (or SIGINT/SIGTERM); rejects with the first failure after both have stopped. */
  run(): Promise<void>;
  /** Stops polling on both; in-flight activities get the grace time. Safe to call more than once. */
  shutdown(): void;
  /** FAILED if either failed, RUNNING only while both run. */
  getState(): State;
}

export function combineWorkers(main: Worker, model: Worker): DxpWorker {
  const workers = [main, model];
  const shutdown = (): void => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    taskQueue: main.options.taskQueue,
    modelTaskQueue: model.options.taskQueue,
    async run() {
      // Whichever stops first (failure or shutdown) takes the other down, so neither runs alone.
      const results = await Promise.allSettled(workers.map((w) => w.run().finally(shutdown)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    shutdown,
    getState() {
      const states = workers.map((w) => w.getState());
      if (states.includes('FAILED')) return 'FAILED';
      if (states[0] === states[1]) return states[0] ?? 'STOPPED';
      if (states.includes('INITIALIZED')) return 'INITIALIZED';
      // Otherwise one has begun to stop and takes the other with it.
      return 'STOPPING';
    },
  };
}

/** Releases a worker that was created but will never run (its sibling failed to build): it holds the connection. */
export async function disposeUnstarted(worker: Worker): Promise<void> {
  const running = worker.run();
  worker.shutdown();
  await running;
}
