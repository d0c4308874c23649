/**
 * The activities of the durable agent loop: one model turn, one tool call, and the output hook.
 * The `example` workflow holds the conversation and calls these; each result is in its history,
 * so a crash resumes at the call that was in flight and a completed call is never paid for again.
 */
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Example } from '../core/records';
import type { AssistantMessage, ModelClient } from './model/client';
import { toActivityFailure } from './model/errors';
import type { ChatMessage, ChatTool } from './model/schemas';
import type { AgentOutputInput, AgentToolInput, AgentToolResult, AgentTurnInput, AgentTurnResult } from '../core/agent-io';
import { AGENT_DEFAULTS, type AgentDefinition, type ToolContext } from './tasks/agent';
import { exampleView } from './tasks/example-view';
import type { TaskRegistry } from './tasks/registry';
import { scopedUserCode, stepContext, userCode } from './tasks/user-code';
import { FAILURE_TYPES } from '../core/failure-types';
import { heartbeatEvery } from './shared/heartbeat';
import { processServices, type ActivityServices } from './services';
import { trace } from '@opentelemetry/api';
import { OpenInferenceSpanKind, SemanticConventions as OI } from '@arizeai/openinference-semantic-conventions';
import { annotate, inSpan, payload, runAttributes } from './shared/spans';
import { DXP_ATTRIBUTES } from '../core/run-trace';

/** `services` default to the process-wide ones (for a test without a worker); a worker passes its own. */
export function createAgentActivities(registry: TaskRegistry, services: ActivityServices = processServices()) {
  return {
    async agentTurn(input: AgentTurnInput): Promise<AgentTurnResult> {
      const agent = registry.agent(input.task);
      const ctx = Context.current();
      const client = resolveClient(agent, services.model);
      const messages = openingMessages(agent, input.example).concat(input.transcript);
      const tools = toolSpecs(agent);
      const maxTokens = capTokens(agent.model?.maxTokens, input.tokensLeft);
      // A model call can take minutes: heartbeat so a dead worker is noticed within the heartbeat timeout.
      const beat = heartbeatEvery(1_000, () => ({ turn: input.turn }), ctx);
      // The model client's LLM span nests under this activity's span: say which run and turn it is.
      const activitySpan = trace.getActiveSpan();
      if (activitySpan) annotate(activitySpan, () => ({ ...runAttributes(input.example, input.repetition), [DXP_ATTRIBUTES.turn]: input.turn }));
      try {
        const result = await client.chat(
          {
            messages,
            ...(agent.model?.name ? { model: agent.model.name } : {}),
            ...(tools.length > 0 ? { tools } : {}),
            ...(agent.model?.temperature !== undefined ? { temperature: agent.model.temperature } : {}),
            ...(maxTokens !== undefined ? { maxTokens } : {}),
          },
          { signal: ctx.cancellationSignal },
        );
        return {
          message: toTranscript(result.message),
          finishReason: result.finishReason,
          promptTokens: result.usage.promptTokens,
          completionTokens: result.usage.completionTokens,
          ...(result.costUsd !== undefined ? { costUsd: result.costUsd } : {}),
          model: result.model,
          latencyMs: result.latencyMs,
          attempt: ctx.info.attempt,
        };
      } catch (err) {
        throw toActivityFailure(err);
      } finally {
        beat.stop();
      }
    },

    async agentTool(input: AgentToolInput): Promise<AgentToolResult> {
      const agent = registry.agent(input.task);
      const attempt = Context.current().info.attempt;
      const tool = agent.tools?.[input.tool];
      if (!tool) {
        const known = Object.keys(agent.tools ?? {});
        return refusal(`unknown tool '${input.tool}'; the tools are: ${known.join(', ') || 'none'}`, attempt);
      }
      let args: unknown;
      try {
        args = input.arguments.trim() === '' ? {} : JSON.parse(input.arguments);
      } catch (err) {
        return refusal(`the arguments of '${input.tool}' are not JSON: ${(err as Error).message}`, attempt);
      }
      if (typeof args !== 'object' || args === null || Array.isArray(args)) {
        return refusal(`the arguments of '${input.tool}' must be a JSON object`, attempt);
      }
      const attributes = () => ({
        ...runAttributes(input.example, input.repetition),
        [DXP_ATTRIBUTES.turn]: input.turn,
        [OI.TOOL_NAME]: input.tool,
        ...(tool.description ? { [OI.TOOL_DESCRIPTION]: tool.description } : {}),
        ...(tool.parameters ? { [OI.TOOL_PARAMETERS]: JSON.stringify(tool.parameters) } : {}),
        [OI.TOOL_CALL_ID]: input.callId,
        ...payload('input', input.arguments),
      });
      return inSpan(`tool ${input.tool}`, OpenInferenceSpanKind.TOOL, attributes, async (span) => {
        const { value, warnings } = await scopedUserCode(services, tool.autoHeartbeat, (scope) => {
          const ctx: ToolContext = { ...stepContext({ ...input, outputs: {} }, scope, services), turn: input.turn, callId: input.callId };
          return tool.run(args, ctx);
        });
        const max = agent.maxToolResultChars ?? AGENT_DEFAULTS.maxToolResultChars;
        const content = truncate(toText(value), max);
        annotate(span, () => payload('output', content));
        return { content, attempt, ...(warnings.length > 0 ? { warnings } : {}) };
      });
    },

    async agentOutput(input: AgentOutputInput): Promise<unknown> {
      const agent = registry.agent(input.task);
      if (!agent.output) return input.answer;
      const value = await userCode(async () =>
        agent.output!({ answer: input.answer, example: exampleView(input.example), transcript: input.transcript, turns: input.turns }),
      );
      return value === undefined ? null : value;
    },
  };
}

export type AgentActivities = ReturnType<typeof createAgentActivities>;

/** The agent's own client, else the worker's. */
function resolveClient(agent: AgentDefinition, workerModel: () => ModelClient): ModelClient {
  const client = agent.client;
  if (client === undefined) return workerModel();
  return typeof client === 'function' ? client() : client;
}

function openingMessages(agent: AgentDefinition, example: Example): ChatMessage[] {
  const opening = agent.prompt(exampleView(example));
  const prompt: ChatMessage[] = typeof opening === 'string' ? [{ role: 'user', content: opening }] : opening;
  if (!Array.isArray(prompt) || prompt.length === 0) {
    throw ApplicationFailure.nonRetryable('the agent prompt must be a string or a non-empty array of messages', FAILURE_TYPES.invalidPrompt);
  }
  return agent.system ? [{ role: 'system', content: agent.system }, ...prompt] : prompt;
}

function toolSpecs(agent: AgentDefinition): ChatTool[] {
  return Object.entries(agent.tools ?? {}).map(([name, tool]) => ({
    type: 'function',
    function: { name, description: tool.description, parameters: tool.parameters },
  }));
}

/** The answer's length cap: the agent's own, lowered to what is left of the budget. */
function capTokens(own: number | undefined, left: number | undefined): number | undefined {
  if (left === undefined) return own;
  return Math.max(1, own === undefined ? left : Math.min(own, left));
}

/** Drops the client's parsed arguments: the conversation (and history) keeps the JSON text once. */
function toTranscript(message: AssistantMessage): AgentTurnResult['message'] {
  const calls = message.tool_calls?.map((call) => ({ id: call.id, type: call.type, function: call.function }));
  return {
    role: 'assistant',
    content: message.content ?? (message.refusal ? `refused: ${message.refusal}` : null),
    ...(calls && calls.length > 0 ? { tool_calls: calls } : {}),
  };
}

function refusal(error: string, attempt: number): AgentToolResult {
  log.warn('agent tool call refused', { error });
  return { content: `error: ${error}`, error, attempt };
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n[cut: ${text.length - max} more characters]`;
}
