/**
 * An OpenAI-compatible chat-completions client on undici: one keep-alive Pool, a deadline on every
 * call, the caller's AbortSignal, zod validation both ways, usage and cost per call. It makes one
 * request per `chat()` and never retries: it runs inside a Temporal activity, whose retry policy
 * (with `nextRetryDelay` from `Retry-After`, see {@link toActivityFailure}) does that.
 */
import { STATUS_CODES } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { parseBaseUrl } from '../shared/base-url';
import { DEFAULT_OPENAI_BASE_URL, type PriceTable } from './config';
import { isRetryableStatus, MODEL_ERROR_CODES, ModelApiError, ModelConfigError } from './errors';
import { apiErrorSchema, chatRequestSchema, chatResponseSchema, type ChatRequest } from './schemas';
import { deadline } from '../shared/deadline';

/** Deadline of one call (connecting, queueing in the pool, headers and body) unless `timeoutMs` is given. */
export const DEFAULT_MODEL_TIMEOUT_MS = 120_000;
/** Connections of the client's own Pool unless `connections` is given (as many as a worker's activity slots). */
export const DEFAULT_MODEL_CONNECTIONS = 100;
const ENDPOINT = 'POST /chat/completions';
const MAX_DETAIL_CHARS = 500;
/** undici error codes that are programming errors, not a flaky network: never retryable. */
const NOT_TRANSIENT = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_INVALID_RETURN_VALUE', 'ERR_INVALID_URL']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
/** Anything shaped like an OpenAI secret key, should a server echo one back. */
const KEY_PATTERN = /\bsk-[A-Za-z0-9_*-]{6,}/g;

/** Options of {@link createModelClient}; a {@link ModelConfig} from `modelConfigFromEnv()` is one. */
export interface ModelClientOptions {
  /** Default {@link DEFAULT_OPENAI_BASE_URL}; the path prefix (`/v1`) is kept. */
  baseUrl?: string;
  /** Required to call; without it `chat()` throws a {@link ModelConfigError} naming `OPENAI_API_KEY`. */
  apiKey?: string;
  /** The model used when a request names none (`DXP_MODEL`). */
  model?: string;
  /** USD per million tokens by model name, for `costUsd`. */
  prices?: PriceTable;
  /** Deadline per call, default {@link DEFAULT_MODEL_TIMEOUT_MS}; `chat(..., { timeoutMs })` overrides it. */
  timeoutMs?: number;
  /** Connections of the client's own Pool, default {@link DEFAULT_MODEL_CONNECTIONS}. */
  connections?: number;
  /**
   * The body field for `maxTokens`. Default `max_completion_tokens` for api.openai.com (its
   * reasoning models refuse `max_tokens`), `max_tokens` for every other server.
   */
  maxTokensParam?: 'max_tokens' | 'max_completion_tokens';
  /** An undici dispatcher to use instead of the client's own Pool; the caller closes it. */
  dispatcher?: Dispatcher;
}

/** Per-call options of `chat()`. */
export interface ChatCallOptions {
  /** Pass the activity's `cancellationSignal` (or a step's `ctx.signal`). */
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

/** A function tool call; `function.arguments` is the JSON text (send it back as is), `parsedArguments` its value. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  parsedArguments: unknown;
}

/** The model's message; it can be appended to `messages` for the next turn. */
export interface AssistantMessage {
  role: 'assistant';
  content: string | null;
  tool_calls?: ToolCall[];
  /** Set when the model declined to answer (structured outputs). */
  refusal?: string;
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** What `chat()` returns. */
export interface ChatResult {
  message: AssistantMessage;
  /** `stop`, `length`, `tool_calls`, `content_filter`, ...; null when the server sends none. */
  finishReason: string | null;
  /** Zeros when the server reports no usage. */
  usage: ChatUsage;
  /** From the price table, when it has the requested (or the answering) model and usage was reported. */
  costUsd?: number;
  /** The model that answered, as the server names it (may be a dated version of the one asked for). */
  model: string;
  latencyMs: number;
  /** The server's `x-request-id`. */
  requestId?: string;
}

/** A chat-completions client that owns a connection pool (unless given a dispatcher). */
export interface ModelClient {
  /** The model used when a request names none. */
  readonly defaultModel: string | undefined;
  /** One request. Throws {@link ModelApiError}, {@link ModelConfigError}, or the signal's reason when aborted. */
  chat(request: ChatRequest, options?: ChatCallOptions): Promise<ChatResult>;
  close(): Promise<void>;
}

type Headers = Record<string, string | string[] | undefined>;

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
  const pool = options.dispatcher
    ? undefined
    : new Pool(origin, {
        connections: options.connections ?? DEFAULT_MODEL_CONNECTIONS,
        keepAliveTimeout: 30_000,
        headersTimeout: defaultTimeoutMs,
        bodyTimeout: defaultTimeoutMs,
      });
  const dispatcher: Dispatcher = options.dispatcher ?? (pool as Pool);
  const redact = (text: string): string => (apiKey === '' ? text : text.split(apiKey).join('[redacted]')).replace(KEY_PATTERN, '[redacted]');

  async function chat(request: ChatRequest, callOptions: ChatCallOptions = {}): Promise<ChatResult> {
    const parsed = chatRequestSchema.safeParse(request);
    if (!parsed.success) {
      throw new ModelApiError({
        status: 0,
        title: 'Invalid chat request',
        detail: formatIssues(parsed.error.issues),
        code: MODEL_ERROR_CODES.invalidRequest,
        endpoint: ENDPOINT,
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

    const callerSignal = callOptions.signal;
    const limit = deadline(timeoutMs, callerSignal);
    const started = performance.now();
    let response: { status: number; headers: Headers; text: string };
    try {
      const res = await dispatcher.request({
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
        signal: limit.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      response = { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    } catch (err) {
      callerSignal?.throwIfAborted();
      throw networkError(err, limit.timedOut(), timeoutMs, model, redact);
    } finally {
      limit.dispose();
    }
    const latencyMs = Math.round(performance.now() - started);
    const requestId = header(response.headers, 'x-request-id');
    if (response.status < 200 || response.status >= 300) throw statusError(response, model, requestId, redact);
    return toResult(response.status, response.text, { model, latencyMs, requestId, prices, redact });
  }

  return { defaultModel, chat, close: async () => pool?.close() };
}

/** Milliseconds to wait: `retry-after-ms` (OpenAI) first, else `Retry-After` as seconds or an HTTP-date. */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const raw = header(headers, 'retry-after');
  if (raw === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw) * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** USD for the usage at the table's prices for `models[0]`, else `models[1]`, ...; undefined when none is priced. */
export function costOf(usage: Pick<ChatUsage, 'promptTokens' | 'completionTokens'>, prices: PriceTable, ...models: Array<string | undefined>): number | undefined {
  for (const model of models) {
    const price = model === undefined ? undefined : prices[model];
    if (price) {
      const usd = (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
      return Math.round(usd * 1e10) / 1e10;
    }
  }
  return undefined;
}

function toResult(
  status: number,
  text: string,
  ctx: { model: string; latencyMs: number; requestId: string | undefined; prices: PriceTable; redact: (s: string) => string },
): ChatResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalidResponse(status, `the body is not JSON (${text.length} characters)`, ctx);
  }
  const parsed = chatResponseSchema.safeParse(json);
  if (!parsed.success) throw invalidResponse(status, formatIssues(parsed.error.issues), ctx);
  const data = parsed.data;
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
        endpoint: ENDPOINT,
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
    endpoint: ENDPOINT,
    model: ctx.model,
    retryable: false,
    requestId: ctx.requestId,
  });
}

function networkError(err: unknown, timedOut: boolean, timeoutMs: number, model: string, redact: (s: string) => string): ModelApiError {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
  if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return new ModelApiError({
      status: 0,
      title: 'Request timed out',
      detail: `no complete response within ${timeoutMs} ms`,
      code: MODEL_ERROR_CODES.timeout,
      endpoint: ENDPOINT,
      model,
      retryable: true,
      cause: err,
    });
  }
  const message = redact(err instanceof Error ? err.message : String(err));
  return new ModelApiError({
    status: 0,
    title: 'Network error',
    detail: code ? `${code}: ${message}` : message,
    code: MODEL_ERROR_CODES.network,
    endpoint: ENDPOINT,
    model,
    retryable: code === undefined || !NOT_TRANSIENT.has(code),
    cause: err,
  });
}

function statusError(
  response: { status: number; headers: Headers; text: string },
  model: string,
  requestId: string | undefined,
  redact: (s: string) => string,
): ModelApiError {
  const problem = parseApiError(response.text);
  const detail = problem?.message ?? (response.text.trim().slice(0, MAX_DETAIL_CHARS) || undefined);
  const code = problem?.code === undefined || problem.code === null ? undefined : String(problem.code);
  return new ModelApiError({
    status: response.status,
    title: STATUS_CODES[response.status] ?? 'HTTP error',
    detail: detail === undefined ? undefined : redact(detail.slice(0, MAX_DETAIL_CHARS)),
    code,
    errorType: problem?.type ?? undefined,
    endpoint: ENDPOINT,
    model,
    retryable: isRetryableStatus(response.status, code),
    retryAfterMs: parseRetryAfter(response.headers),
    requestId,
  });
}

function parseApiError(text: string) {
  try {
    const parsed = apiErrorSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined;
  }
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  const first = (Array.isArray(value) ? value[0] : value)?.trim();
  return first ? first : undefined;
}

function formatIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

function checkTimeout(timeoutMs: number): void {
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new RangeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
}
