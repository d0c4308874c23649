/**
 * The durable pipeline, measured end to end: a fresh Temporal dev server, an in-process worker
 * and one experiment (a parent workflow plus one child workflow per example). Each task gets
 * a fresh server, so its figures do not depend on what ran before it.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { workerSettings, type WorkerSettings } from '../workers/config';
import { createWorker } from '../workers/create-worker';
import type { RunRecord } from '../workflows/records';
import type { Options } from './args';
import { benchModule, type BenchTask } from './bench-tasks';
import { childHistories } from './child-history';
import { latencyOf, overhead, type RunnerResult } from './figures';
import { parentHistory } from './parent-history';
import { ownCpuSeconds, procCpuSeconds, rssSampler } from './process-stats';

export async function runPipeline(
  task: BenchTask,
  datasetPath: string,
  n: number,
  c: number,
  workDir: string,
  workflowBundle: { code: string },
  serverDb: Options['serverDb'],
): Promise<RunnerResult> {
  const name = `bench-${task.key}-n${n}-c${c}`;
  const dataDir = join(workDir, `store-${task.key}`);
  const taskQueue = `bench-${task.key}`;

  let t = performance.now();
  const server: DevServer = await startDevServer({
    headless: true,
    ...(serverDb === 'file' ? { dbFile: join(workDir, `temporal-${task.key}.db`) } : {}),
  });
  const serverStartMs = performance.now() - t;
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  let native: NativeConnection | undefined;
  try {
    t = performance.now();
    native = await NativeConnection.connect({ address: server.address });
    const settings: WorkerSettings = {
      ...workerSettings({ dataDir, taskQueue }, {}),
      maxConcurrentActivities: Math.max(2 * c, 100),
      maxConcurrentWorkflowTasks: 100,
      shutdownGraceTime: '2s',
    };
    const worker = await createWorker({ connection: native, namespace: server.namespace, settings, modules: [benchModule], workflowBundle });
    const running = worker.run();
    const workerStartMs = performance.now() - t;
    let workerError: unknown;
    running.catch((err: unknown) => {
      workerError = err;
    });

    try {
      const spec = parseSpec({ name, dataset: { path: datasetPath }, task: task.task, concurrency: c, taskQueue });
      const sampler = rssSampler();
      const cpu0 = { own: ownCpuSeconds(), server: procCpuSeconds(server.process?.pid), load: loadavg()[0] ?? NaN };
      const t0 = performance.now();
      const startedAtMs = Date.now();
      const progress = setInterval(() => process.stdout.write('.'), 5_000);
      let summary;
      try {
        const { handle } = await startExperiment(client, spec, taskQueue);
        // A dead worker would leave handle.result() waiting for ever.
        summary = await Promise.race([
          handle.result(),
          running.then(() => {
            throw new Error(`worker stopped before the experiment finished: ${String(workerError)}`);
          }),
        ]);
      } finally {
        clearInterval(progress);
      }
      const wallMs = performance.now() - t0;
      const rss = sampler.stop();
      const serverCpu1 = procCpuSeconds(server.process?.pid);
      const cpu = {
        benchProcessS: ownCpuSeconds() - cpu0.own,
        devServerS: serverCpu1 !== null && cpu0.server !== null ? serverCpu1 - cpu0.server : null,
        wallS: wallMs / 1000,
        cores: cpus().length,
        loadAvg1Before: cpu0.load,
        loadAvg1After: loadavg()[0] ?? NaN,
      };
      process.stdout.write(' ');

      const records = readRuns(join(dataDir, 'experiments', name, 'runs.jsonl'));
      const history = await parentHistory(client, name, startedAtMs);
      const children = await childHistories(client, name, n);

      return {
        runner: 'pipeline',
        examples: n,
        concurrency: c,
        wallMs,
        examplesPerSec: (n / wallMs) * 1000,
        overheadPerExampleMs: overhead(wallMs, c, n, task.ownMs),
        latencyMs: latencyOf(records.map((r) => r.durationMs)),
        rss,
        failed: summary.failed,
        pipeline: {
          experimentName: name,
          serverDb,
          serverStartMs,
          cpu,
          workerStartMs,
          ...history,
          parentEventsPerExample: history.parentEvents / n,
          ...children,
          childEventsPerExample: children.childEvents === null ? null : children.childEvents / n,
          recordsInStore: records.length,
          summary: { runs: summary.runs, succeeded: summary.succeeded, failed: summary.failed, status: summary.status },
        },
      };
    } finally {
      worker.shutdown(); // a no-op for a worker that already stopped
      await running.catch(() => undefined);
    }
  } finally {
    await native?.close();
    await connection.close();
    await server.stop();
  }
}

/** The run records the worker wrote to the local store: their durationMs is the pipeline's latency. */
function readRuns(file: string): RunRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RunRecord);
}
