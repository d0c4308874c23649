/**
 * The agent demo's offline stand-in for an LLM, used by `dxp demo --agent` when OPENAI_API_KEY is
 * unset: a loopback OpenAI-compatible `POST /v1/chat/completions` server (bearer key, `usage` on
 * every answer). It is not a model and not a test mock: it plays the attempts written in
 * examples/agent/scripted-attempts.json, deterministically, through the same model client, durable agent loop,
 * sandboxed tool and evaluator that a real model goes through.
 *
 * Its policy, per request: find the problem id in the first user message (`Problem id: <id>`),
 * count the tool results so far, and
 * - if the last tool result passed, answer with the code of the last `run_tests` call in a ```python block;
 * - else call `run_tests` with attempt number <tool results> (starting over when they run out, so a
 *   problem without a passing attempt runs into the agent's turn limit).
 * Token counts are estimated at four characters a token.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../temporal-cli';

/** The example's data (copied beside the compiled examples in the package's dist/). */
export const SCRIPTED_ATTEMPTS_FILE = join(PROJECT_ROOT, 'examples', 'agent', 'scripted-attempts.json');
export const SCRIPTED_MODEL_NAME = 'scripted-coder';

export interface ScriptedModelOptions {
  /** Default: scripted-attempts.json next to this file. */
  attemptsFile?: string;
  /** Default: a random key for this run. */
  apiKey?: string;
  /** Appends every request body it accepts to this file, one JSON per line (what the model was shown). */
  logFile?: string;
}

export interface ScriptedModel {
  /** `http://127.0.0.1:<port>/v1`, for OPENAI_BASE_URL. */
  baseUrl: string;
  apiKey: string;
  model: string;
  /** The request bodies it answered, oldest first. */
  requests(): ChatBody[];
  stop(): Promise<void>;
}

export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: string } }>;
}

export interface ChatBody {
  model?: string;
  messages?: ChatMessage[];
  tools?: unknown[];
}

/** What the policy says next: text, or one `run_tests` call. */
export type ScriptedReply = { content: string } | { runTests: string };

/** Problem id → the code of each attempt, in order. */
export type Attempts = Map<string, string[]>;

export async function loadAttempts(file = SCRIPTED_ATTEMPTS_FILE): Promise<Attempts> {
  const raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, { attempts?: unknown }>;
  const attempts: Attempts = new Map();
  for (const [id, entry] of Object.entries(raw)) {
    if (id.startsWith('_')) continue; // comments
    const list = entry.attempts;
    if (!Array.isArray(list) || list.length === 0 || !list.every((a) => Array.isArray(a) && a.every((l) => typeof l === 'string'))) {
      throw new Error(`${file}: '${id}.attempts' must be a non-empty list of attempts, each a list of code lines`);
    }
    attempts.set(id, (list as string[][]).map((lines) => `${lines.join('\n')}\n`));
  }
  return attempts;
}

/** The policy described at the top of this file. */
export function scriptedReply(messages: ChatMessage[], attempts: Attempts): ScriptedReply {
  const prompt = String(messages.find((m) => m.role === 'user')?.content ?? '');
  const id = /^Problem id: (\S+)/m.exec(prompt)?.[1];
  const mine = id === undefined ? undefined : attempts.get(id);
  if (!mine) return { content: `I have no scripted attempts for problem ${id ?? '(no "Problem id:" line)'}.` };
  const results = messages.filter((m) => m.role === 'tool').map((m) => String(m.content ?? ''));
  if (results.length > 0 && passed(results.at(-1)!)) {
    const code = lastSubmittedCode(messages) ?? mine.at(-1)!;
    return { content: `The visible tests pass. Final code:\n\n\`\`\`python\n${code}\`\`\`` };
  }
  return { runTests: mine[results.length % mine.length]! };
}

export async function startScriptedModel(opts: ScriptedModelOptions = {}): Promise<ScriptedModel> {
  const attempts = await loadAttempts(opts.attemptsFile);
  const apiKey = opts.apiKey ?? `dxp-scripted-${randomBytes(12).toString('hex')}`;
  const log: ChatBody[] = [];
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, apiError(String(err), 'server_error')));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const text = await readBody(req);
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/v1/chat/completions') {
      return send(res, 404, apiError(`no route ${req.method} ${req.url}`, 'invalid_request_error'));
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) return send(res, 401, apiError('wrong or missing API key', 'invalid_api_key'));
    let body: ChatBody;
    try {
      body = JSON.parse(text) as ChatBody;
    } catch {
      return send(res, 400, apiError('the body is not JSON', 'invalid_request_error'));
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) return send(res, 400, apiError('messages are required', 'invalid_request_error'));
    log.push(body);
    if (opts.logFile) await appendFile(opts.logFile, `${JSON.stringify(body)}\n`);
    send(res, 200, completion(body, scriptedReply(body.messages, attempts)));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    apiKey,
    model: SCRIPTED_MODEL_NAME,
    requests: () => [...log],
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function passed(toolResult: string): boolean {
  try {
    return (JSON.parse(toolResult) as { passed?: unknown }).passed === true;
  } catch {
    return false; // an `error: ...` result
  }
}

function lastSubmittedCode(messages: ChatMessage[]): string | undefined {
  for (const m of [...messages].reverse()) {
    const call = m.tool_calls?.find((c) => c.function?.name === 'run_tests');
    if (!call) continue;
    try {
      const code = (JSON.parse(call.function?.arguments ?? '') as { code?: unknown }).code;
      if (typeof code === 'string') return code;
    } catch {
      // not ours: keep looking
    }
  }
  return undefined;
}

/** An OpenAI chat.completion for the reply, with estimated usage. */
function completion(body: ChatBody, reply: ScriptedReply): Record<string, unknown> {
  const turn = (body.messages ?? []).filter((m) => m.role === 'assistant').length + 1;
  const message =
    'content' in reply
      ? { role: 'assistant', content: reply.content }
      : {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: `call_${turn}`, type: 'function', function: { name: 'run_tests', arguments: JSON.stringify({ code: reply.runTests }) } }],
        };
  const promptTokens = tokens(JSON.stringify([body.messages, body.tools ?? []]));
  const completionTokens = tokens(JSON.stringify(message));
  return {
    id: `chatcmpl-scripted-${randomBytes(6).toString('hex')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? SCRIPTED_MODEL_NAME,
    choices: [{ index: 0, message, finish_reason: 'content' in reply ? 'stop' : 'tool_calls' }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

function tokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function apiError(message: string, code: string): { error: { message: string; type: string; code: string } } {
  return { error: { message, type: code === 'server_error' ? 'server_error' : 'invalid_request_error', code } };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}
