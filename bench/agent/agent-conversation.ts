/**
 * One conversation's parts, called directly: the opening messages, a model turn, a tool call.
 * The in-process loop (agent-baseline.ts) runs them in a loop; the floor's activities
 * (floor/agent-activities.ts) run each as its own activity. Nothing durable, no retries.
 */
import type { ModelClient, ToolCall } from '../../activities/model/client';
import type { ChatMessage, ChatTool } from '../../activities/model/schemas';
import type { AgentDefinition, ToolContext } from '../../activities/tasks/agent';
import { exampleView, firstAttemptContext } from '../shared/in-process';

export function agentClient(agent: AgentDefinition): ModelClient {
  const client = typeof agent.client === 'function' ? agent.client() : agent.client;
  if (!client) throw new Error('the benchmark agent names its model client');
  return client;
}

export function toolSpecs(agent: AgentDefinition): ChatTool[] {
  return Object.entries(agent.tools ?? {}).map(([name, tool]) => ({
    type: 'function',
    function: { name, description: tool.description, parameters: tool.parameters },
  }));
}

/** The system message and the prompt for the row. */
export function openingMessages(agent: AgentDefinition, row: Record<string, unknown>): ChatMessage[] {
  const opening = agent.prompt(exampleView(row));
  return [...(agent.system ? [{ role: 'system' as const, content: agent.system }] : []), ...(typeof opening === 'string' ? [{ role: 'user' as const, content: opening }] : opening)];
}

/** One model call: the assistant's message as it goes back into the conversation, and its tool calls. */
export async function modelTurn(
  client: ModelClient,
  agent: AgentDefinition,
  messages: ChatMessage[],
  signal: AbortSignal,
): Promise<{ message: ChatMessage; calls: ToolCall[] }> {
  const result = await client.chat(
    {
      messages,
      ...(agent.model?.name ? { model: agent.model.name } : {}),
      tools: toolSpecs(agent),
      ...(agent.model?.temperature !== undefined ? { temperature: agent.model.temperature } : {}),
    },
    { signal },
  );
  const calls = result.message.tool_calls ?? [];
  const message: ChatMessage = {
    role: 'assistant',
    content: result.message.content,
    ...(calls.length > 0 ? { tool_calls: calls.map(({ id, type, function: fn }) => ({ id, type, function: fn })) } : {}),
  };
  return { message, calls };
}

/** One tool call's output as the tool message's content. */
export async function runToolCall(agent: AgentDefinition, row: Record<string, unknown>, turn: number, call: ToolCall, signal: AbortSignal): Promise<string> {
  const tool = agent.tools?.[call.function.name];
  if (!tool) return `error: unknown tool '${call.function.name}'`;
  const ctx: ToolContext = { ...firstAttemptContext(exampleView(row), signal, 'the benchmark tools use no sandbox'), turn, callId: call.id };
  const value: unknown = await tool.run(call.parsedArguments, ctx);
  return typeof value === 'string' ? value : JSON.stringify(value);
}
