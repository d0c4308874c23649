/**
 * The agent loop's floor (bench/floor/agent-workflow.ts): the same N conversations, one workflow
 * each started by this process C at a time, every model turn and tool call an activity of a plain
 * SDK worker on one task queue, on a fresh dev server of its own. The pipeline's overhead per turn
 * is read against it.
 */
import type { AgentDefinition } from '../../activities/tasks/agent';
import type { AgentOptions } from './agent-args';
import { agentHistories, type AgentHistoryFigures } from './agent-history';
import { measureOnDevServer, type CpuFigures } from '../shared/dev-server';
import { startFloorWorker } from '../pipeline/floor-runner';
import { latencyOf, type RunFigures } from '../shared/figures';
import { createFloorAgentActivities } from '../floor/agent-activities';
import type { FloorRow } from '../floor/contract';
import type { floorAgent } from '../floor/agent-workflow';
import { runInProcess } from '../shared/in-process';

export interface AgentFloorResult extends RunFigures {
  runner: 'floor';
  cpu: CpuFigures;
  succeeded: number;
  failed: number;
  turns: number;
  history: AgentHistoryFigures;
}

const TASK_QUEUE = 'floor-agent';

export async function runAgentFloor(agent: AgentDefinition, rows: Record<string, unknown>[], opts: AgentOptions, workDir: string, floorBundle: { code: string }): Promise<AgentFloorResult> {
  const c = opts.c;
  return measureOnDevServer(
    {
      label: 'floor-agent',
      workDir,
      serverDb: opts.serverDb,
      startWorker: (connection, namespace) =>
        startFloorWorker({ connection, namespace, taskQueue: TASK_QUEUE, workflowBundle: floorBundle, activities: createFloorAgentActivities(agent) }, c),
      run: async (client) => {
        const outcomes: { turns: number; durationMs: number }[] = [];
        let failed = 0;
        await runInProcess(rows, c, async (row) => {
          try {
            const args = { row: row as FloorRow, maxTurns: opts.turns };
            outcomes.push(await client.workflow.execute<typeof floorAgent>('floorAgent', { workflowId: `floor-agent/${String(row.id)}`, taskQueue: TASK_QUEUE, args: [args] }));
          } catch {
            failed++;
          }
        });
        return { outcomes, failed };
      },
    },
    async ({ client, result, wallMs, rss, cpu }) => ({
      runner: 'floor',
      examples: rows.length,
      concurrency: c,
      wallMs,
      examplesPerSec: (rows.length / wallMs) * 1000,
      latencyMs: latencyOf(result.outcomes.map((o) => o.durationMs)),
      rss,
      cpu,
      succeeded: result.outcomes.length,
      failed: result.failed,
      turns: result.outcomes.reduce((sum, o) => sum + o.turns, 0),
      history: await agentHistories(client, 'WorkflowType = "floorAgent"', rows.length),
    }),
  );
}
