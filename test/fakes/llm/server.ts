/**
 * A loopback OpenAI-compatible chat-completions server for tests: bearer auth, scripted replies
 * (text or tool calls, with usage), a default responder, scripted faults, and a request log.
 *
 * @example
 * const fake = new LlmFake();
 * const { baseUrl } = await fake.start();           // http://127.0.0.1:<port>/v1
 * fake.reply({ content: '{"label":"correct"}', usage: { prompt: 10, completion: 5 } });
 * fake.fault({ kind: '429', retryAfterMs: 1500 });
 * // ... createModelClient({ baseUrl, apiKey: fake.apiKey }) ...
 * await fake.stop();
 */
import type * as http from 'node:http';
import { LoopbackServer, readBody } from '../loopback';

/** The key the fake accepts unless another is given (shaped like a real one, to test redaction). */
export const FAKE_LLM_API_KEY = 'sk-fake-llm-0123456789abcdefSECRET';

/** A tool call in a scripted reply; `arguments` as text is sent verbatim (so it can be invalid JSON). */
export interface ScriptedToolCall {
  id?: string;
  name: string;
  arguments: string | Record<string, unknown>;
}

/** One scripted answer. */
export interface ScriptedReply {
  content?: string | null;
  toolCalls?: ScriptedToolCall[];
  /** Default: about a token per four characters of the request and of the answer. */
  usage?: { prompt: number; completion: number } | null;
  /** Default `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: string;
  /** Default: the requested model. */
  model?: string;
  /** Waits this long before answering (a slow model; `stop()` cuts it short). */
  delayMs?: number;
}

/** One scripted failure, consumed by one request (before any reply). */
export type LlmFault =
  /** 429 with `Retry-After: <seconds>`, `retry-after-ms` and/or `Retry-After: <HTTP-date>` as given. */
  | { kind: '429'; retryAfterSeconds?: number; retryAfterMs?: number; retryAfterDate?: Date; code?: string }
  | { kind: '500' }
  | { kind: 'status'; status: number; message?: string; code?: string }
  /** Waits `ms` before answering normally. */
  | { kind: 'slow'; ms: number }
  /** Destroys the socket without responding. */
  | { kind: 'reset' }
  /** Answers 200 with this raw body. */
  | { kind: 'raw'; body: string };

/** The JSON body the fake received (the key is only ever in the Authorization header, which is not logged). */
export interface ChatRequestBody {
  model?: string;
  messages?: Array<{ role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string }>;
  tools?: unknown[];
  tool_choice?: unknown;
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  response_format?: { type: string };
  [key: string]: unknown;
}

/** One request as the fake saw it. */
export interface LlmRequestLogEntry {
  method: string;
  path: string;
  /** The parsed body, or undefined when it was not JSON. */
  body: ChatRequestBody | undefined;
  /** Whether the bearer token matched. */
  authorized: boolean;
  /** Status sent; 0 when the socket was destroyed without a response. */
  status: number;
  time: number;
  fault?: LlmFault['kind'];
}

/** Makes the reply when no scripted one is queued. */
export type Responder = (body: ChatRequestBody) => ScriptedReply;

/** Answers "ok". */
export const defaultResponder: Responder = () => ({ content: 'ok' });

/** The fake server; see the file comment for an example. */
export class LlmFake {
  readonly apiKey: string;
  private readonly replies: ScriptedReply[] = [];
  private readonly faults: LlmFault[] = [];
  private readonly log: LlmRequestLogEntry[] = [];
  private readonly server = new LoopbackServer('LlmFake', (req, res) => this.handle(req, res));
  private responder: Responder = defaultResponder;
  private counter = 0;

  constructor(options: { apiKey?: string } = {}) {
    this.apiKey = options.apiKey ?? FAKE_LLM_API_KEY;
  }

  /** Listens on 127.0.0.1 on an ephemeral port; `baseUrl` ends in `/v1`. */
  async start(): Promise<{ baseUrl: string }> {
    return { baseUrl: `${await this.server.start()}/v1` };
  }

  /** Closes the server and every connection; pending slow faults and delayed replies give up. */
  stop(): Promise<void> {
    return this.server.stop();
  }

  /** Queues replies, used in order before the responder. */
  reply(...replies: ScriptedReply[]): this {
    this.replies.push(...replies);
    return this;
  }

  /** Queues faults, used in order, each by one request, before any reply. */
  fault(...faults: LlmFault[]): this {
    this.faults.push(...faults);
    return this;
  }

  /** Replaces the responder used when no reply is queued. */
  respondWith(responder: Responder): this {
    this.responder = responder;
    return this;
  }

  /** Forgets queued replies and faults and the log; restores the default responder. */
  reset(): void {
    this.replies.length = 0;
    this.faults.length = 0;
    this.log.length = 0;
    this.responder = defaultResponder;
  }

  /** Copies of the log entries, oldest first. */
  requests(): LlmRequestLogEntry[] {
    return this.log.map((entry) => ({ ...entry }));
  }

  /** Chat-completion requests received with the right key. */
  callCount(): number {
    return this.log.filter((e) => e.authorized && e.path.endsWith('/chat/completions')).length;
  }

  /** Replies and faults queued but not yet used. */
  pending(): number {
    return this.replies.length + this.faults.length;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const text = await readBody(req);
    const entry: LlmRequestLogEntry = {
      method: req.method ?? '',
      path: url.pathname,
      body: parseJson(text),
      authorized: req.headers.authorization === `Bearer ${this.apiKey}`,
      status: 0,
      time: Date.now(),
    };
    this.log.push(entry);

    if (entry.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
      return send(res, entry, 404, apiError(`Unknown request URL: ${entry.method} ${url.pathname}`, 'invalid_request_error', 'unknown_url'));
    }
    if (!entry.authorized) {
      // A hostile server: it echoes the presented key in full, so the client's redaction is tested.
      const presented = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      return send(res, entry, 401, apiError(`Incorrect API key provided: ${presented}`, 'invalid_request_error', 'invalid_api_key'));
    }
    const body = entry.body;
    if (!body || typeof body.model !== 'string' || !Array.isArray(body.messages) || body.messages.length === 0) {
      return send(res, entry, 400, apiError('model and a non-empty messages array are required', 'invalid_request_error', null));
    }

    const fault = this.faults.shift();
    if (fault) entry.fault = fault.kind;
    switch (fault?.kind) {
      case '429': {
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        if (fault.retryAfterDate !== undefined) headers['retry-after'] = fault.retryAfterDate.toUTCString();
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        const code = fault.code ?? 'rate_limit_exceeded';
        return send(res, entry, 429, apiError(`Rate limit reached for ${body.model}`, code === 'insufficient_quota' ? 'insufficient_quota' : 'requests', code), headers);
      }
      case '500':
        return send(res, entry, 500, apiError('The server had an error while processing your request.', 'server_error', null));
      case 'status':
        return send(res, entry, fault.status, apiError(fault.message ?? `scripted ${fault.status}`, 'invalid_request_error', fault.code ?? null));
      case 'reset':
        req.socket.destroy();
        return;
      case 'raw':
        entry.status = 200;
        res.writeHead(200, { 'content-type': 'application/json' }).end(fault.body);
        return;
      case 'slow':
        if (!(await this.server.sleep(fault.ms))) return;
        break;
      default:
        break;
    }

    const reply = this.replies.shift() ?? this.responder(body);
    if (reply.delayMs !== undefined && !(await this.server.sleep(reply.delayMs))) return;
    return send(res, entry, 200, this.completion(body, reply), { 'x-request-id': `req_fake_${this.counter}` });
  }

  private completion(body: ChatRequestBody, reply: ScriptedReply): unknown {
    this.counter += 1;
    const toolCalls = (reply.toolCalls ?? []).map((call, i) => ({
      id: call.id ?? `call_${this.counter}_${i}`,
      type: 'function',
      function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) },
    }));
    const content = reply.content === undefined ? (toolCalls.length > 0 ? null : '') : reply.content;
    const usage =
      reply.usage === null
        ? undefined
        : (reply.usage ?? {
            prompt: Math.ceil(JSON.stringify(body.messages ?? []).length / 4),
            completion: Math.ceil((content ?? JSON.stringify(toolCalls)).length / 4),
          });
    return {
      id: `chatcmpl-fake-${this.counter}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: reply.model ?? body.model,
      system_fingerprint: 'fp_fake',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
          logprobs: null,
          finish_reason: reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
        },
      ],
      ...(usage
        ? {
            usage: {
              prompt_tokens: usage.prompt,
              completion_tokens: usage.completion,
              total_tokens: usage.prompt + usage.completion,
              prompt_tokens_details: { cached_tokens: 0 },
            },
          }
        : {}),
    };
  }
}

function apiError(message: string, type: string, code: string | null) {
  return { error: { message, type, param: null, code } };
}

function send(res: http.ServerResponse, entry: LlmRequestLogEntry, status: number, body: unknown, headers: Record<string, string> = {}): void {
  entry.status = status;
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function parseJson(text: string): ChatRequestBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as ChatRequestBody) : undefined;
  } catch {
    return undefined;
  }
}
