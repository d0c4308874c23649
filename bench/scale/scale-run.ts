/**
 * One scale run: a fresh target, a `dxp worker` process and one experiment of N no-op examples,
 * with every process's CPU read before and after, the worker's RSS sampled, then the parent's
 * chain and a sample of children read while the server is still up.
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { startExperiment } from '../../client/experiments';
import { parseSpec } from '../../client/spec-file';
import type { ExperimentSummary } from '../../core/records';
import { ownCpuSeconds } from '../shared/process-stats';
import type { TargetKind } from './scale-args';
import { parentChain, type ChainFigures } from './scale-chain';
import { sampleChildren } from './scale-children';
import { machineBusySeconds, pidRssSampler, treeCpuSeconds } from './scale-proc';
import { progressPrinter, type ProgressTick } from './scale-progress';
import { startClusterTarget } from './scale-cluster';
import { startDevTarget } from './scale-dev';
import type { ScaleTarget, StoredBytes } from './scale-target';
import { SCALE_TASK_QUEUE, startScaleWorker } from './scale-worker';

export interface ScaleInput {
  kind: TargetKind;
  n: number;
  c: number;
  datasetPath: string;
  exampleIds: string[];
  workflowBundle: string;
  workDir: string;
}

/** CPU seconds of each part during the experiment (start → result). */
export interface CpuSpent {
  server: number | null;
  database: number | null;
  worker: number | null;
  benchProcess: number;
  /** Every core's busy time, ours and anyone else's: what else ran on the machine. */
  machine: number | null;
}

export interface ScaleResult {
  target: TargetKind;
  describe: string;
  n: number;
  concurrency: number;
  maxActivities: number;
  startupMs: { target: number; worker: number };
  wallMs: number;
  examplesPerSec: number;
  summary: Pick<ExperimentSummary, 'status' | 'runs' | 'succeeded' | 'failed'>;
  cpuS: CpuSpent;
  workerRss: { startMb: number; peakMb: number; endMb: number; samples: number };
  storedBytes: { before: StoredBytes; after: StoredBytes };
  parent: ChainFigures;
  children: { sampled: number; eventsPerChild: number; bytesPerChild: number };
  cores: number;
  load1: { before: number; after: number };
  /** Every 30 s: done, load, worker RSS. */
  progress: ProgressTick[];
}

const delta = (after: number | null, before: number | null): number | null => (after !== null && before !== null ? after - before : null);

export async function runScale(input: ScaleInput): Promise<ScaleResult> {
  const { kind, n, c } = input;
  const label = `${kind} n=${n}`;
  const dir = join(input.workDir, `${kind}-${n}`);
  mkdirSync(dir, { recursive: true });
  let t = performance.now();
  const target = await startTarget(kind, dir);
  const targetMs = performance.now() - t;
  try {
    t = performance.now();
    const worker = await startScaleWorker(target, { c, workflowBundle: input.workflowBundle, workDir: dir });
    const workerMs = performance.now() - t;
    const connection = await Connection.connect({ address: target.address });
    try {
      const client = new Client({ connection, namespace: target.namespace });
      const name = `bench-scale-${kind}-n${n}-c${c}`;
      const spec = parseSpec({ name, dataset: { path: input.datasetPath }, task: 'bench-noop', concurrency: c, taskQueue: SCALE_TASK_QUEUE });

      const before = {
        target: target.cpuSeconds(),
        worker: treeCpuSeconds(worker.pid),
        own: ownCpuSeconds(),
        machine: machineBusySeconds(),
        bytes: target.storedBytes(),
        load: loadavg()[0] ?? NaN,
      };
      const rss = pidRssSampler(worker.pid);
      const t0 = performance.now();
      const { handle } = await startExperiment(client, spec, SCALE_TASK_QUEUE);
      const progress = progressPrinter(label, handle, n, rss.currentMb);
      let summary: ExperimentSummary;
      let ticks: ProgressTick[] = [];
      try {
        // A dead worker would leave handle.result() waiting for ever.
        summary = await Promise.race([
          handle.result(),
          new Promise<never>((_, reject) => worker.process.once('exit', () => reject(new Error(`worker exited during the run: ${worker.describe()}`)))),
        ]);
      } finally {
        ticks = progress.stop();
      }
      const wallMs = performance.now() - t0;
      const workerRss = rss.stop();
      const afterTarget = target.cpuSeconds();
      const cpuS: CpuSpent = {
        server: delta(afterTarget.server, before.target.server),
        database: delta(afterTarget.database, before.target.database),
        worker: delta(treeCpuSeconds(worker.pid), before.worker),
        benchProcess: ownCpuSeconds() - before.own,
        machine: delta(machineBusySeconds(), before.machine),
      };
      const load1After = loadavg()[0] ?? NaN;
      const bytesAfter = target.storedBytes();
      console.log(`[${label}] ${summary.succeeded}/${summary.runs} succeeded in ${(wallMs / 1000).toFixed(1)} s; reading histories`);
      const parent = await parentChain(client, name);
      const children = await sampleChildren(client, name, input.exampleIds);
      return {
        target: kind,
        describe: target.describe,
        n,
        concurrency: c,
        maxActivities: Math.max(2 * c, 100),
        startupMs: { target: Math.round(targetMs), worker: Math.round(workerMs) },
        wallMs: Math.round(wallMs),
        examplesPerSec: (n / wallMs) * 1000,
        summary: { status: summary.status, runs: summary.runs, succeeded: summary.succeeded, failed: summary.failed },
        cpuS,
        workerRss,
        storedBytes: { before: before.bytes, after: bytesAfter },
        parent,
        children,
        cores: cpus().length,
        load1: { before: before.load, after: load1After },
        progress: ticks,
      };
    } finally {
      await worker.stop();
      await connection.close();
    }
  } finally {
    await target.stop();
  }
}

/** A fresh server in `dir`: no earlier run's rows in its database or its caches. */
function startTarget(kind: TargetKind, dir: string): Promise<ScaleTarget> {
  return kind === 'dev' ? startDevTarget(dir) : startClusterTarget();
}
