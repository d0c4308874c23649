/**
 * An OpenAI-compatible chat-completions client over the shared HTTP transport
 * (../shared/http-transport.ts: one keep-alive Pool, a deadline on every call, the caller's
 * AbortSignal), zod validation both ways, usage and cost per call (response.ts, cost.ts). It makes
 * one request per `chat()` and never retries: it runs inside a Temporal activity, whose retry
 * policy (with `nextRetryDelay` from `Retry-After`, see `toActivityFailure` in errors.ts) does that.
 */
import { STATUS_CODES } from 'node:http';
import { parseBaseUrl } from '../shared/base-url';
import {
  bodyExcerpt,
  exchange,
  formatIssues,
  header,
  MAX_DETAIL_CHARS,
  networkErrorInit,
  ownDispatcher,
  parseJsonAs,
  parseRetryAfter,
  redactor,
  type HttpResponse,
} from '../shared/http-transport';
import { DEFAULT_OPENAI_BASE_URL } from './config';
import { isRetryableStatus, MODEL_ERROR_CODES, ModelApiError, ModelConfigError } from './errors';
import { CHAT_ENDPOINT, toResult } from './response';
import { apiErrorSchema, chatRequestSchema, type ChatRequest } from './schemas';
import type { ChatCallOptions, ChatResult, ModelClient, ModelClientOptions } from './types';
import { OpenInferenceSpanKind } from '@arizeai/openinference-semantic-conventions';
import { annotate, inSpan } from '../shared/spans';
import { chatSpanRequest, chatSpanResult } from './chat-span';

export type { AssistantMessage, ChatCallOptions, ChatResult, ChatUsage, ModelClient, ModelClientOptions, ToolCall } from './types';

/** Deadline of one call (connecting, queueing in the pool, headers and body) unless `timeoutMs` is given. */
export const DEFAULT_MODEL_TIMEOUT_MS = 120_000;
/** Connections of the client's own Pool unless `connections` is given (as many as a worker's activity slots). */
export const DEFAULT_MODEL_CONNECTIONS = 100;
/** Anything shaped like an OpenAI secret key, should a server echo one back. */
const KEY_PATTERN = /\bsk-[A-Za-z0-9_*-]{6,}/g;

/**
 * Creates the client; call `close()` when done to release its keep-alive connections.
 *
 * @example
 * const client = createModelClient(modelConfigFromEnv());
 * const { message, usage, costUsd } = await client.chat(
 *   { messages: [{ role: 'user', content: 'Say hi' }], maxTokens: 20 },
 *   { signal: ctx.signal },
 * );
 */
export function createModelClient(options: ModelClientOptions = {}): ModelClient {
  const rawUrl = options.baseUrl ?? DEFAULT_OPENAI_BASE_URL;
  const baseUrl = parseBaseUrl(rawUrl);
  if (baseUrl === undefined) throw new ModelConfigError(`model baseUrl must be an http(s) URL without credentials, query or fragment, got "${rawUrl}"`);
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
  checkTimeout(defaultTimeoutMs);
  const base = new URL(baseUrl);
  const origin = base.origin;
  const path = `${base.pathname.replace(/\/+$/, '')}/chat/completions`;
  const apiKey = options.apiKey?.trim() ?? '';
  const prices = options.prices ?? {};
  const defaultModel = options.model?.trim() || undefined;
  const maxTokensParam = options.maxTokensParam ?? (origin === 'https://api.openai.com' ? 'max_completion_tokens' : 'max_tokens');
  const connections = options.connections ?? DEFAULT_MODEL_CONNECTIONS;
  const transport = ownDispatcher(origin, { dispatcher: options.dispatcher, connections, timeoutMs: defaultTimeoutMs });
  const redact = redactor(apiKey, KEY_PATTERN);

  async function chat(request: ChatRequest, callOptions: ChatCallOptions = {}): Promise<ChatResult> {
    const parsed = chatRequestSchema.safeParse(request);
    if (!parsed.success) {
      throw new ModelApiError({
        status: 0,
        title: 'Invalid chat request',
        detail: formatIssues(parsed.error.issues),
        code: MODEL_ERROR_CODES.invalidRequest,
        endpoint: CHAT_ENDPOINT,
        model: typeof request?.model === 'string' ? request.model : defaultModel,
        retryable: false,
      });
    }
    const req = parsed.data;
    const model = req.model ?? defaultModel;
    if (model === undefined) throw new ModelConfigError('no model: pass `model` in the request, or set DXP_MODEL');
    if (apiKey === '') throw new ModelConfigError('OPENAI_API_KEY is not set: model calls need an API key');
    const timeoutMs = callOptions.timeoutMs ?? defaultTimeoutMs;
    checkTimeout(timeoutMs);
    const body = {
      model,
      messages: req.messages,
      ...(req.tools ? { tools: req.tools } : {}),
      ...(req.toolChoice !== undefined ? { tool_choice: req.toolChoice } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.maxTokens !== undefined ? { [maxTokensParam]: req.maxTokens } : {}),
      ...(req.responseFormat ? { response_format: req.responseFormat } : {}),
    };

    // An LLM span around the call (a child of the activity's, or of the user's own span).
    return inSpan(`chat ${model}`, OpenInferenceSpanKind.LLM, () => chatSpanRequest(body, req.maxTokens), async (span) => {
      const started = performance.now();
      const response = await exchange(
        transport.dispatcher,
        {
          origin,
          path,
          method: 'POST',
          headers: {
            authorization: `Bearer ${apiKey}`,
            accept: 'application/json',
            'content-type': 'application/json',
            'user-agent': 'dxp-model-client',
          },
          body: JSON.stringify(body),
        },
        { timeoutMs, signal: callOptions.signal, networkError: (err, timedOut) => networkError(err, timedOut, timeoutMs, model, redact) },
      );
      const latencyMs = Math.round(performance.now() - started);
      const requestId = header(response.headers, 'x-request-id');
      if (response.status < 200 || response.status >= 300) throw statusError(response, model, requestId, redact);
      const result = toResult(response.status, response.text, { model, latencyMs, requestId, prices, redact });
      annotate(span, () => chatSpanResult(result));
      return result;
    });
  }

  return { defaultModel, chat, close: () => transport.close() };
}

/** A request with no response: a timeout or any network error is retryable, except a programming error. */
function networkError(err: unknown, timedOut: boolean, timeoutMs: number, model: string, redact: (s: string) => string): ModelApiError {
  const { kind, ...init } = networkErrorInit(err, { endpoint: CHAT_ENDPOINT, timedOut, timeoutMs, redact, withoutCode: 'transient' });
  return new ModelApiError({ ...init, code: kind === 'timeout' ? MODEL_ERROR_CODES.timeout : MODEL_ERROR_CODES.network, model });
}

function statusError(response: HttpResponse, model: string, requestId: string | undefined, redact: (s: string) => string): ModelApiError {
  const problem = parseJsonAs(apiErrorSchema, response.text)?.error;
  const detail = problem?.message ?? bodyExcerpt(response.text);
  const code = problem?.code === undefined || problem.code === null ? undefined : String(problem.code);
  return new ModelApiError({
    status: response.status,
    title: STATUS_CODES[response.status] ?? 'HTTP error',
    detail: detail === undefined ? undefined : redact(detail.slice(0, MAX_DETAIL_CHARS)),
    code,
    errorType: problem?.type ?? undefined,
    endpoint: CHAT_ENDPOINT,
    model,
    retryable: isRetryableStatus(response.status, code),
    retryAfterMs: parseRetryAfter(response.headers),
    requestId,
  });
}

function checkTimeout(timeoutMs: number): void {
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new RangeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
}
