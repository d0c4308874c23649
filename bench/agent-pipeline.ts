/**
 * The durable agent loop, measured end to end: a fresh Temporal dev server, an in-process worker
 * (main and model task queues) and one experiment of N agent examples, each an example workflow
 * whose every model turn and tool call is an activity.
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
import type { TaskModule } from '../activities/tasks/define';
import { workerSettings, type WorkerSettings } from '../workers/config';
import { createWorker } from '../workers/create-worker';
import type { RunRecord } from '../workflows/records';
import type { AgentOptions } from './agent-args';
import { agentHistories, type AgentHistoryFigures } from './agent-history';
import { AGENT_TASK } from './agent-task';
import { latencyOf, type Latency } from './figures';
import { ownCpuSeconds, procCpuSeconds, rssSampler } from './process-stats';

export interface AgentPipelineResult {
  runner: 'pipeline';
  experimentName: string;
  examples: number;
  concurrency: number;
  /** Experiment start → its result (the parent's own activities included). */
  wallMs: number;
  examplesPerSec: number;
  /** RunRecord.durationMs: the example workflow's start → its record. */
  latencyMs: Latency;
  rss: { baselineMb: number; peakMb: number; samples: number };
  serverStartMs: number;
  workerStartMs: number;
  cpu: { benchProcessS: number; devServerS: number | null; wallS: number; cores: number; loadAvg1Before: number; loadAvg1After: number };
  summary: { status: string; runs: number; succeeded: number; failed: number; agentTurns: number | null; agentToolCalls: number | null };
  /** From the run records: how the runs ended, and the attempts of their model turns and tool calls. */
  records: { count: number; stopReasons: Record<string, number>; turnAttempts: number; toolAttempts: number; firstErrors: string[] };
  history: AgentHistoryFigures;
}

export async function runAgentPipeline(
  label: string,
  module: TaskModule,
  datasetPath: string,
  n: number,
  opts: AgentOptions,
  workDir: string,
  workflowBundle: { code: string },
): Promise<AgentPipelineResult> {
  const c = opts.c;
  const name = `bench-agent-${label}-n${n}-c${c}-t${opts.turns}`;
  const dataDir = join(workDir, `store-${label}`);
  const taskQueue = `bench-agent-${label}`;

  let t = performance.now();
  const server: DevServer = await startDevServer({
    headless: true,
    ...(opts.serverDb === 'file' ? { dbFile: join(workDir, `temporal-${label}.db`) } : {}),
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
      // Every example in flight may be at the model at once: no model slot should be the bottleneck.
      maxModelCalls: Math.max(2 * c, 20),
      shutdownGraceTime: '2s',
    };
    const worker = await createWorker({ connection: native, namespace: server.namespace, settings, modules: [module], workflowBundle });
    const running = worker.run();
    const workerStartMs = performance.now() - t;
    let workerError: unknown;
    running.catch((err: unknown) => {
      workerError = err;
    });

    try {
      const spec = parseSpec({ name, dataset: { path: datasetPath }, task: AGENT_TASK, concurrency: c, taskQueue, agent: { maxTurns: opts.turns } });
      const sampler = rssSampler();
      const cpu0 = { own: ownCpuSeconds(), server: procCpuSeconds(server.process?.pid), load: loadavg()[0] ?? NaN };
      const t0 = performance.now();
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

      const runs = readRuns(join(dataDir, 'experiments', name, 'runs.jsonl'));
      const history = await agentHistories(client, name, n);
      return {
        runner: 'pipeline',
        experimentName: name,
        examples: n,
        concurrency: c,
        wallMs,
        examplesPerSec: (n / wallMs) * 1000,
        latencyMs: latencyOf(runs.map((r) => r.durationMs)),
        rss,
        serverStartMs,
        workerStartMs,
        cpu,
        summary: {
          status: summary.status,
          runs: summary.runs,
          succeeded: summary.succeeded,
          failed: summary.failed,
          agentTurns: summary.agent?.turns ?? null,
          agentToolCalls: summary.agent?.toolCalls ?? null,
        },
        records: recordFigures(runs),
        history,
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

function recordFigures(runs: RunRecord[]): AgentPipelineResult['records'] {
  const stopReasons: Record<string, number> = {};
  let turnAttempts = 0;
  let toolAttempts = 0;
  for (const run of runs) {
    const reason = run.agent?.stopReason ?? 'none';
    stopReasons[reason] = (stopReasons[reason] ?? 0) + 1;
    for (const step of run.steps) {
      if (/^turn \d+$/.test(step.name)) turnAttempts += step.attempts ?? 0;
      else if (/^turn \d+ tool /.test(step.name)) toolAttempts += step.attempts ?? 0;
    }
  }
  const firstErrors = runs.flatMap((r) => (r.error ? [`${r.exampleId}: ${r.error}`] : [])).slice(0, 3);
  return { count: runs.length, stopReasons, turnAttempts, toolAttempts, firstErrors };
}

/** The run records the worker wrote to the local store. */
function readRuns(file: string): RunRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RunRecord);
}
