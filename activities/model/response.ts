/** A chat-completions 2xx body read into a {@link ChatResult}: the message, tool calls with their parsed arguments, usage and cost. */
import type { PriceTable } from './config';
import { costOf } from './cost';
import { MODEL_ERROR_CODES, ModelApiError } from './errors';
import { chatResponseSchema } from './schemas';
import type { AssistantMessage, ChatResult, ChatUsage, ToolCall } from './types';
import { parseJsonBody } from '../shared/http-transport';

/** The one endpoint the client calls, as its errors name it. */
export const CHAT_ENDPOINT = 'POST /chat/completions';

/** What {@link toResult} needs besides the body. */
export interface ResponseContext {
  /** The model asked for. */
  model: string;
  latencyMs: number;
  requestId: string | undefined;
  prices: PriceTable;
  redact: (s: string) => string;
}

/** The result of a 2xx; throws a {@link ModelApiError} when the body breaks the contract or a tool call's arguments are not JSON. */
export function toResult(status: number, text: string, ctx: ResponseContext): ChatResult {
  const body = parseJsonBody(chatResponseSchema, text);
  if (!body.ok) throw invalidResponse(status, body.detail, ctx);
  const data = body.data;
  const choice = data.choices[0];
  if (!choice) throw invalidResponse(status, 'no choices', ctx);
  const finishReason = choice.finish_reason ?? null;

  const toolCalls: ToolCall[] = (choice.message.tool_calls ?? []).map((call) => {
    const raw = call.function.arguments;
    let parsedArguments: unknown;
    try {
      parsedArguments = raw.trim() === '' ? {} : JSON.parse(raw);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const excerpt = raw.length > 120 ? `${raw.slice(0, 120)}...` : raw;
      throw new ModelApiError({
        status,
        title: 'Tool call arguments are not JSON',
        detail: ctx.redact(
          `tool call ${call.id} to '${call.function.name}': ${reason}; arguments (${raw.length} characters): ${excerpt}` +
            (finishReason === 'length' ? ' (the answer was cut off at the token limit: raise maxTokens)' : ''),
        ),
        code: MODEL_ERROR_CODES.invalidToolArguments,
        endpoint: CHAT_ENDPOINT,
        model: ctx.model,
        // A new sample may well be valid, unless the answer was cut off by the token limit.
        retryable: finishReason !== 'length',
        requestId: ctx.requestId,
      });
    }
    return { id: call.id, type: 'function', function: { name: call.function.name, arguments: raw }, parsedArguments };
  });

  const message: AssistantMessage = { role: 'assistant', content: choice.message.content ?? null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (choice.message.refusal) message.refusal = choice.message.refusal;
  const usage: ChatUsage = data.usage
    ? {
        promptTokens: data.usage.prompt_tokens,
        completionTokens: data.usage.completion_tokens,
        totalTokens: data.usage.total_tokens ?? data.usage.prompt_tokens + data.usage.completion_tokens,
      }
    : { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  const answeredBy = data.model ?? ctx.model;
  const costUsd = data.usage ? costOf(usage, ctx.prices, ctx.model, answeredBy) : undefined;
  return {
    message,
    finishReason,
    usage,
    ...(costUsd !== undefined ? { costUsd } : {}),
    model: answeredBy,
    latencyMs: ctx.latencyMs,
    ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
  };
}

function invalidResponse(status: number, detail: string, ctx: { model: string; requestId: string | undefined }): ModelApiError {
  return new ModelApiError({
    status,
    title: 'Response does not match the chat-completions contract',
    detail,
    code: MODEL_ERROR_CODES.invalidResponse,
    endpoint: CHAT_ENDPOINT,
    model: ctx.model,
    retryable: false,
    requestId: ctx.requestId,
  });
}
