/**
 * The durable agent loop, measured end to end: a fresh Temporal dev server, an in-process worker
 * (main and model task queues) and one experiment of N agent examples, each an example workflow
 * whose every model turn and tool call is an activity.
 */
import { join } from 'node:path';
import type { TaskModule } from '../../activities/tasks/define';
import type { RunRecord } from '../../core/records';
import type { AgentOptions } from './agent-args';
import { agentHistories, examplesOf, type AgentHistoryFigures } from './agent-history';
import { AGENT_TASK } from './agent-task';
import { readRuns, runOnDevServer, type CpuFigures } from '../shared/dev-server';
import { latencyOf, type RunFigures } from '../shared/figures';

/** wallMs: experiment start → its result (the parent's own activities included); latencyMs: RunRecord.durationMs, the example workflow's start → its record. */
export interface AgentPipelineResult extends RunFigures {
  runner: 'pipeline';
  experimentName: string;
  serverStartMs: number;
  workerStartMs: number;
  cpu: CpuFigures;
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

  return runOnDevServer(
    {
      label,
      workDir,
      serverDb: opts.serverDb,
      dataDir,
      taskQueue,
      c,
      module,
      workflowBundle,
      // Every example in flight may be at the model at once: no model slot should be the bottleneck.
      settings: { maxModelCalls: Math.max(2 * c, 20) },
      spec: { name, dataset: { path: datasetPath }, task: AGENT_TASK, concurrency: c, taskQueue, agent: { maxTurns: opts.turns } },
    },
    async ({ client, summary, wallMs, rss, cpu, serverStartMs, workerStartMs }) => {
      const runs = readRuns(dataDir, name);
      const history = await agentHistories(client, examplesOf(name), n);
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
    },
  );
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
