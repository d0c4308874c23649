/**
 * One experiment on a fresh Temporal dev server with an in-process worker, measured the same way
 * for both benchmarks: server and worker start, wall time, RSS and CPU while it runs. A fresh
 * server per run keeps its figures independent of what ran before it.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../../client/dev-server';
import { startExperiment } from '../../client/experiments';
import { parseSpec } from '../../client/spec-file';
import type { TaskModule } from '../../activities/tasks/define';
import { workerSettings, type WorkerSettings } from '../../workers/config';
import { createWorker } from '../../workers/create-worker';
import type { ExperimentSummary, RunRecord } from '../../core/records';
import type { ExperimentSpecInput } from '../../core/spec';
import { ownCpuSeconds, procCpuSeconds, rssSampler } from './process-stats';

/** CPU seconds used during the experiment (start → result), and the machine's load. */
export interface CpuFigures {
  benchProcessS: number;
  devServerS: number | null;
  wallS: number;
  cores: number;
  loadAvg1Before: number;
  loadAvg1After: number;
}

export interface DevServerExperiment {
  /** Names the server's db file. */
  label: string;
  workDir: string;
  serverDb: 'file' | 'memory';
  dataDir: string;
  taskQueue: string;
  /** The spec's concurrency: sizes the worker's activity slots. */
  c: number;
  module: TaskModule;
  workflowBundle: { code: string };
  /** Worker settings beyond the shared ones. */
  settings?: Partial<WorkerSettings>;
  /** Parsed once the worker runs, as the experiment starts. */
  spec: ExperimentSpecInput;
  /** The worker's service environment (model, sandbox, tracing); default this process's. */
  serviceEnv?: NodeJS.ProcessEnv;
}

/** What every run on a fresh dev server measures, around whatever `run` waits for. */
export interface Measured<R> {
  /** Still connected: for reading histories before the server stops. */
  client: Client;
  /** What `run` returned. */
  result: R;
  /** `run`'s start → its end. */
  wallMs: number;
  /** Date.now() at `run`'s start. */
  startedAtMs: number;
  rss: { baselineMb: number; peakMb: number; samples: number };
  cpu: CpuFigures;
  serverStartMs: number;
  workerStartMs: number;
}

export type MeasuredExperiment = Omit<Measured<ExperimentSummary>, 'result'> & { summary: ExperimentSummary };

/** A worker as `measureOnDevServer` drives it: dxp's (createWorker) or the floor's (a plain SDK Worker). */
export interface BenchWorker {
  run(): Promise<void>;
  shutdown(): void;
}

export interface DevServerRun<R> {
  /** Names the server's db file. */
  label: string;
  workDir: string;
  serverDb: 'file' | 'memory';
  startWorker(connection: NativeConnection, namespace: string): Promise<BenchWorker>;
  /** Starts the work and waits for its end; measured from its call to its return. */
  run(client: Client): Promise<R>;
}

/**
 * A fresh dev server and a worker in this process; measures `run` (wall, RSS, CPU of this process
 * and of the server, load) and hands the figures to `after` while the server is still up.
 */
export async function measureOnDevServer<R, T>(opts: DevServerRun<R>, after: (m: Measured<R>) => Promise<T>): Promise<T> {
  let t = performance.now();
  const server: DevServer = await startDevServer({
    headless: true,
    ...(opts.serverDb === 'file' ? { dbFile: join(opts.workDir, `temporal-${opts.label}.db`) } : {}),
  });
  const serverStartMs = performance.now() - t;
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  let native: NativeConnection | undefined;
  try {
    t = performance.now();
    native = await NativeConnection.connect({ address: server.address });
    const worker = await opts.startWorker(native, server.namespace);
    const running = worker.run();
    const workerStartMs = performance.now() - t;
    let workerError: unknown;
    running.catch((err: unknown) => {
      workerError = err;
    });

    try {
      const sampler = rssSampler();
      const cpu0 = { own: ownCpuSeconds(), server: procCpuSeconds(server.process?.pid), load: loadavg()[0] ?? NaN };
      const t0 = performance.now();
      const startedAtMs = Date.now();
      const progress = setInterval(() => process.stdout.write('.'), 5_000);
      let result: R;
      try {
        // A dead worker would leave the run waiting for ever.
        result = await Promise.race([
          opts.run(client),
          running.then(() => {
            throw new Error(`worker stopped before the run finished: ${String(workerError)}`);
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
      return await after({ client, result, wallMs, startedAtMs, rss, cpu, serverStartMs, workerStartMs });
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

/** The worker slots every runner on the dev server gets, sized by the concurrency. */
export function benchSlots(c: number): { maxConcurrentActivities: number; maxConcurrentWorkflowTasks: number } {
  return { maxConcurrentActivities: Math.max(2 * c, 100), maxConcurrentWorkflowTasks: 100 };
}

/** One dxp experiment on a fresh dev server with dxp's worker in this process. */
export function runOnDevServer<T>(opts: DevServerExperiment, after: (m: MeasuredExperiment) => Promise<T>): Promise<T> {
  return measureOnDevServer(
    {
      label: opts.label,
      workDir: opts.workDir,
      serverDb: opts.serverDb,
      startWorker: (connection, namespace) => {
        const settings: WorkerSettings = {
          ...workerSettings({ dataDir: opts.dataDir, taskQueue: opts.taskQueue }, {}),
          ...benchSlots(opts.c),
          shutdownGraceTime: '2s',
          ...opts.settings,
        };
        return createWorker({ connection, namespace, settings, modules: [opts.module], workflowBundle: opts.workflowBundle, ...(opts.serviceEnv ? { serviceEnv: opts.serviceEnv } : {}) });
      },
      run: async (client) => {
        const { handle } = await startExperiment(client, parseSpec(opts.spec), opts.taskQueue);
        return handle.result();
      },
    },
    ({ result, ...m }) => after({ ...m, summary: result }),
  );
}

/** The run records the worker wrote to the local store: their durationMs is the pipeline's latency. */
export function readRuns(dataDir: string, experimentName: string): RunRecord[] {
  return readJsonl<RunRecord>(join(dataDir, 'experiments', experimentName, 'runs.jsonl'));
}

/** One value per non-empty line. */
export function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
