/**
 * The benchmark's agent task, written with the same authoring API users use: one `lookup` tool
 * that answers at once (so everything beyond the model's latency is the runner's cost), the
 * loopback model as its client, and a ledger that counts every execution of the tool, so a tool
 * that ran twice for one call shows up.
 */
import { defineAgent, type AgentDefinition } from '../../activities/tasks/agent';
import { defineTasks, type TaskModule } from '../../activities/tasks/define';
import type { ModelClient } from '../../activities/model/client';
import { MODEL_NAME, TOOL_NAME } from './agent-model';

export const AGENT_TASK = 'bench-agent';

/** Executions of the tool by (example, turn, call id). */
export class ToolLedger {
  private readonly runs = new Map<string, number>();

  record(exampleId: string, turn: number, callId: string): void {
    const key = `${exampleId}/${turn}/${callId}`;
    this.runs.set(key, (this.runs.get(key) ?? 0) + 1);
  }

  counts(): { executions: number; distinctCalls: number; callsRunTwice: number } {
    const values = [...this.runs.values()];
    return { executions: values.reduce((a, b) => a + b, 0), distinctCalls: values.length, callsRunTwice: values.filter((v) => v > 1).length };
  }
}

/** The agent, bound to this run's model client and ledger. */
export function benchAgent(client: ModelClient, ledger: ToolLedger, turns: number): AgentDefinition {
  return {
    system: `Look things up with ${TOOL_NAME}, one call per turn, then answer.`,
    prompt: (ex) => `example ${ex.id}: ${String(ex.input)}`,
    model: { name: MODEL_NAME, temperature: 0 },
    maxTurns: turns,
    tools: {
      [TOOL_NAME]: {
        description: 'Looks a key up.',
        parameters: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
        run: ({ key }: { key: string }, ctx) => {
          ledger.record(ctx.id, ctx.turn, ctx.callId);
          return `value of ${key}: ${'x'.repeat(64)}`;
        },
      },
    },
    client,
  };
}

/** The task module the pipeline's worker registers. */
export function benchAgentModule(agent: AgentDefinition): TaskModule {
  return defineTasks({ tasks: { [AGENT_TASK]: defineAgent(agent) } });
}
