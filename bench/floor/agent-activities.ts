/** The agent floor's activities (bench/floor): the benchmark agent's own model client and tool, one call per activity. */
import { Context } from '@temporalio/activity';
import type { AgentDefinition } from '../../activities/tasks/agent';
import { agentClient, modelTurn, openingMessages, runToolCall } from '../agent/agent-conversation';
import type { FloorAgentActivities } from './contract';

export function createFloorAgentActivities(agent: AgentDefinition): FloorAgentActivities {
  const client = agentClient(agent);
  return {
    async modelTurn(row, messages) {
      const opening = messages.length === 0 ? openingMessages(agent, row) : [];
      const { message, calls } = await modelTurn(client, agent, [...opening, ...messages], Context.current().cancellationSignal);
      return { appended: [...opening, message], calls };
    },
    toolCall(row, turn, call) {
      return runToolCall(agent, row, turn, call, Context.current().cancellationSignal);
    },
  };
}
