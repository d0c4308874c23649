/** The shapes of the model client: its options, what `chat()` returns, and the client itself. */
import type { Dispatcher } from 'undici';
import type { PriceTable } from './config';
import type { ChatRequest } from './schemas';

/** Options of `createModelClient`; a `ModelConfig` from `modelConfigFromEnv()` is one. */
export interface ModelClientOptions {
  /** Default `DEFAULT_OPENAI_BASE_URL`; the path prefix (`/v1`) is kept. */
  baseUrl?: string;
  /** Required to call; without it `chat()` throws a `ModelConfigError` naming `OPENAI_API_KEY`. */
  apiKey?: string;
  /** The model used when a request names none (`DXP_MODEL`). */
  model?: string;
  /** USD per million tokens by model name, for `costUsd`. */
  prices?: PriceTable;
  /** Deadline per call, default `DEFAULT_MODEL_TIMEOUT_MS`; `chat(..., { timeoutMs })` overrides it. */
  timeoutMs?: number;
  /** Connections of the client's own Pool, default `DEFAULT_MODEL_CONNECTIONS`. */
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
  /** One request. Throws `ModelApiError`, `ModelConfigError`, or the signal's reason when aborted. */
  chat(request: ChatRequest, options?: ChatCallOptions): Promise<ChatResult>;
  close(): Promise<void>;
}
