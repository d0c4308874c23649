/**
 * The LLM span of one chat call, in OpenInference's terms: the model, the invocation parameters,
 * the input and output messages (each bounded, and only the last MAX_SPAN_MESSAGES of a long
 * conversation), the token counts and the cost. Never the API key: it is in a header, not here.
 */
import type { Attributes } from '@opentelemetry/api';
import { LLMProvider, LLMSystem, SemanticConventions as OI } from '@arizeai/openinference-semantic-conventions';
import { bounded } from '../../core/trace-text';
import type { ChatMessage } from './schemas';
import type { ChatResult } from './types';

/** A 50-turn agent resends its whole conversation each turn: the span keeps its tail. */
export const MAX_SPAN_MESSAGES = 32;

export function chatSpanRequest(body: { model: string; messages: ChatMessage[]; temperature?: number; tools?: unknown[] }, maxTokens?: number): Attributes {
  const skipped = Math.max(0, body.messages.length - MAX_SPAN_MESSAGES);
  const messages = body.messages.slice(skipped);
  return {
    [OI.LLM_SYSTEM]: LLMSystem.OPENAI,
    [OI.LLM_PROVIDER]: LLMProvider.OPENAI,
    [OI.LLM_MODEL_NAME]: body.model,
    [OI.LLM_INVOCATION_PARAMETERS]: JSON.stringify({
      model: body.model,
      ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
      ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
    }),
    ...(skipped > 0 ? { 'dxp.llm.input_messages_skipped': skipped } : {}),
    ...Object.fromEntries(messages.flatMap((m, i) => messageAttributes(`${OI.LLM_INPUT_MESSAGES}.${i}`, m))),
    ...(body.tools ? Object.fromEntries(body.tools.map((tool, i) => [`${OI.LLM_TOOLS}.${i}.${OI.TOOL_JSON_SCHEMA}`, bounded(JSON.stringify(tool))])) : {}),
  };
}

export function chatSpanResult(result: ChatResult): Attributes {
  const message = result.message;
  return {
    [OI.LLM_MODEL_NAME]: result.model,
    [OI.LLM_TOKEN_COUNT_PROMPT]: result.usage.promptTokens,
    [OI.LLM_TOKEN_COUNT_COMPLETION]: result.usage.completionTokens,
    [OI.LLM_TOKEN_COUNT_TOTAL]: result.usage.totalTokens,
    ...(result.costUsd !== undefined ? { [OI.LLM_COST_TOTAL]: result.costUsd } : {}),
    ...(result.finishReason ? { [OI.LLM_FINISH_REASON]: result.finishReason } : {}),
    ...Object.fromEntries(
      messageAttributes(`${OI.LLM_OUTPUT_MESSAGES}.0`, {
        role: 'assistant',
        content: message.content ?? (message.refusal ? `refused: ${message.refusal}` : null),
        ...(message.tool_calls?.length ? { tool_calls: message.tool_calls.map(({ id, type, function: fn }) => ({ id, type, function: fn })) } : {}),
      }),
    ),
    ...(message.content ? { [OI.OUTPUT_VALUE]: bounded(message.content), [OI.OUTPUT_MIME_TYPE]: 'text/plain' } : {}),
  };
}

function messageAttributes(prefix: string, message: ChatMessage): [string, string][] {
  const out: [string, string][] = [[`${prefix}.${OI.MESSAGE_ROLE}`, message.role]];
  const content = 'content' in message ? message.content : undefined;
  if (typeof content === 'string') out.push([`${prefix}.${OI.MESSAGE_CONTENT}`, bounded(content)]);
  else if (Array.isArray(content)) {
    const text = content.map((part) => (part.type === 'text' ? part.text : `[image ${part.image_url.url.slice(0, 64)}]`)).join('\n');
    out.push([`${prefix}.${OI.MESSAGE_CONTENT}`, bounded(text)]);
  }
  if (message.role === 'tool') out.push([`${prefix}.${OI.MESSAGE_TOOL_CALL_ID}`, message.tool_call_id]);
  if (message.role === 'assistant') {
    (message.tool_calls ?? []).forEach((call, j) => {
      const at = `${prefix}.${OI.MESSAGE_TOOL_CALLS}.${j}`;
      out.push([`${at}.${OI.TOOL_CALL_ID}`, call.id], [`${at}.${OI.TOOL_CALL_FUNCTION_NAME}`, call.function.name], [`${at}.${OI.TOOL_CALL_FUNCTION_ARGUMENTS_JSON}`, bounded(call.function.arguments)]);
    });
  }
  return out;
}
