/**
 * The benchmark's loopback model: a minimal OpenAI-compatible chat-completions server that plays
 * a fixed agent script. For the example named in the user message, turn t (1 + the assistant
 * messages so far) asks for one `lookup` call while t < turns, then answers. Every answer takes
 * `latencyMs` and reports the same usage, so the model costs the same in every runner.
 *
 * In a storm, a share of requests is answered 429 with `Retry-After` at once (as a provider's
 * rate limiter does). Which requests are refused is a hash of (example, turn, how many times this
 * turn was asked before), so the pipeline and the baseline meet the same storm.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Usage reported by every answer. */
export const MODEL_USAGE = { prompt: 120, completion: 20 } as const;
export const MODEL_NAME = 'bench-model';
export const MODEL_API_KEY = 'sk-bench-loopback';
export const TOOL_NAME = 'lookup';

export interface LoopbackModelOptions {
  turns: number;
  latencyMs: number;
  /** Share of requests refused with 429 (0: no storm). */
  rate429?: number;
  retryAfterS?: number;
}

/** What the model saw: every request, how it was answered, and turns answered more than once. */
export interface ModelCounts {
  requests: number;
  answered: number;
  rateLimited: number;
  /** Requests the script could not place (no example id in the prompt): should be 0. */
  unexpected: number;
  /** (example, turn) pairs answered 200 more than once: a completed turn paid for again. */
  turnsAnsweredTwice: number;
}

export interface LoopbackModel {
  baseUrl: string;
  counts(): ModelCounts;
  stop(): Promise<void>;
}

interface RequestBody {
  messages?: Array<{ role?: string; content?: unknown }>;
  model?: string;
}

export async function startLoopbackModel(options: LoopbackModelOptions): Promise<LoopbackModel> {
  const rate = options.rate429 ?? 0;
  const retryAfter = String(options.retryAfterS ?? 1);
  const asked = new Map<string, number>();
  const answered = new Map<string, number>();
  const counts = { requests: 0, answered: 0, rateLimited: 0, unexpected: 0 };
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      counts.requests++;
      let body: RequestBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RequestBody;
      } catch {
        counts.unexpected++;
        return send(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error', param: null, code: null } });
      }
      const messages = body.messages ?? [];
      const prompt = String(messages.find((m) => m.role === 'user')?.content ?? '');
      const id = /^example (\S+):/.exec(prompt)?.[1];
      if (!id) counts.unexpected++;
      const turn = messages.filter((m) => m.role === 'assistant').length + 1;
      const key = `${id ?? '?'}/${turn}`;
      const nth = asked.get(key) ?? 0;
      asked.set(key, nth + 1);
      if (rate > 0 && unitHash(`${key}#${nth}`) < rate) {
        counts.rateLimited++;
        return send(
          res,
          429,
          { error: { message: `Rate limit reached for ${body.model ?? MODEL_NAME}`, type: 'requests', param: null, code: 'rate_limit_exceeded' } },
          { 'retry-after': retryAfter },
        );
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        counts.answered++;
        answered.set(key, (answered.get(key) ?? 0) + 1);
        send(res, 200, completion(body.model ?? MODEL_NAME, id ?? '?', turn, options.turns, counts.answered));
      }, options.latencyMs);
      timers.add(timer);
    });
  });
  // Longer than the client's keep-alive (30 s), so a reused connection is never closed under a request.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    counts: () => ({ ...counts, turnsAnsweredTwice: [...answered.values()].filter((v) => v > 1).length }),
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function completion(model: string, id: string, turn: number, turns: number, seq: number): unknown {
  const toolCalls =
    turn < turns ? [{ id: `call_${id}_${turn}`, type: 'function', function: { name: TOOL_NAME, arguments: JSON.stringify({ key: `${id}-${turn}` }) } }] : [];
  return {
    id: `chatcmpl-bench-${seq}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: toolCalls.length > 0 ? null : `answer for ${id} after ${turns - 1} lookups`,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
      },
    ],
    usage: { prompt_tokens: MODEL_USAGE.prompt, completion_tokens: MODEL_USAGE.completion, total_tokens: MODEL_USAGE.prompt + MODEL_USAGE.completion },
  };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** FNV-1a of the text, then murmur3's finalizer (texts that differ in their last character land far apart), as a number in [0, 1). */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}
