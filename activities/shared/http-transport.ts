/**
 * The HTTP transport under every API client (Arize, model providers): the client's own keep-alive
 * undici Pool, one request under a deadline and the caller's AbortSignal, what a request that got
 * no response means (timeout, transient, fatal), `Retry-After`, and reading JSON bodies (a
 * problem body of an error, or a 2xx body against its schema). Each client builds its own error.
 */
import { Pool, type Dispatcher } from 'undici';
import type { ApiErrorInit } from './api-error';
import { deadline } from './deadline';

export type HttpHeaders = Record<string, string | string[] | undefined>;

/** What came back: the status, the headers and the whole body as text. */
export interface HttpResponse {
  status: number;
  headers: HttpHeaders;
  text: string;
}

/** An error detail taken from a body that is not the API's error shape is cut here. */
export const MAX_DETAIL_CHARS = 500;

/** undici error codes that are programming errors, not a flaky network: never retryable. */
export const NOT_TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_INVALID_RETURN_VALUE',
  'ERR_INVALID_URL',
]);
/** undici (and socket) error codes of a request that ran out of time. */
export const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** What a request that got no response means: retry it as a timeout, retry it, or never retry it. */
export type NetworkErrorKind = 'timeout' | 'transient' | 'fatal';

/**
 * The kind of a failed request: a timeout when our deadline fired or the code is a timeout, fatal
 * for a programming error, else transient. An error without a string `code` is `withoutCode`: the
 * clients differ there (a model call retries it, an Arize call does not).
 */
export function classifyNetworkError(err: unknown, opts: { timedOut: boolean; withoutCode: 'transient' | 'fatal' }): NetworkErrorKind {
  const code = errorCode(err);
  if (opts.timedOut || (code !== undefined && TIMEOUT_CODES.has(code))) return 'timeout';
  if (code === undefined) return opts.withoutCode;
  return NOT_TRANSIENT_CODES.has(code) ? 'fatal' : 'transient';
}

/** The fields of the error for a request that got no response; the client adds its own code and names. */
export function networkErrorInit(
  err: unknown,
  opts: { endpoint: string; timedOut: boolean; timeoutMs: number; redact: (s: string) => string; withoutCode: 'transient' | 'fatal' },
): ApiErrorInit & { kind: NetworkErrorKind } {
  const kind = classifyNetworkError(err, opts);
  const base = { status: 0, endpoint: opts.endpoint, cause: err, kind };
  if (kind === 'timeout') return { ...base, title: 'Request timed out', detail: `no complete response within ${opts.timeoutMs} ms`, retryable: true };
  const code = errorCode(err);
  const message = opts.redact(err instanceof Error ? err.message : String(err));
  return { ...base, title: 'Network error', detail: code ? `${code}: ${message}` : message, retryable: kind === 'transient' };
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The dispatcher to send with: the one given (the caller closes it), else an own keep-alive Pool for the origin. */
export function ownDispatcher(
  origin: string,
  opts: { dispatcher?: Dispatcher | undefined; connections: number; timeoutMs: number },
): { dispatcher: Dispatcher; close(): Promise<void> } {
  if (opts.dispatcher) return { dispatcher: opts.dispatcher, close: async () => undefined };
  const pool = new Pool(origin, { connections: opts.connections, keepAliveTimeout: 30_000, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs });
  return { dispatcher: pool, close: async () => pool.close() };
}

/**
 * One request, its headers and whole body within `timeoutMs`. The caller's abort rethrows the
 * signal's reason; any other failure goes through `networkError` (told whether our deadline fired).
 */
export async function exchange(
  dispatcher: Dispatcher,
  request: Omit<Dispatcher.RequestOptions, 'signal' | 'headersTimeout' | 'bodyTimeout'>,
  opts: { timeoutMs: number; signal?: AbortSignal | undefined; networkError: (err: unknown, timedOut: boolean) => Error },
): Promise<HttpResponse> {
  const limit = deadline(opts.timeoutMs, opts.signal);
  try {
    const res = await dispatcher.request({ ...request, signal: limit.signal, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  } catch (err) {
    opts.signal?.throwIfAborted();
    throw opts.networkError(err, limit.timedOut());
  } finally {
    limit.dispose();
  }
}

/** Replaces the API key (and anything matching `patterns`) in text bound for an error message. */
export function redactor(apiKey: string, ...patterns: RegExp[]): (text: string) => string {
  return (text) => patterns.reduce((out, pattern) => out.replace(pattern, '[redacted]'), apiKey === '' ? text : text.split(apiKey).join('[redacted]'));
}

/** The first value of a header, trimmed; undefined when absent or blank. */
export function header(headers: HttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = (Array.isArray(value) ? value[0] : value)?.trim();
  return first ? first : undefined;
}

/**
 * Milliseconds to wait: `retry-after-ms` (OpenAI) first, else `Retry-After` as (decimal) seconds or
 * an HTTP-date (0 when past). No upper cap here: a client caps what it sleeps through itself.
 */
export function parseRetryAfter(headers: HttpHeaders, now = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const raw = header(headers, 'retry-after');
  if (raw === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw) * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

interface Schema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<Issue> } };
}
type Issue = { path: ReadonlyArray<PropertyKey>; message: string };

/** The body as `schema` reads it, or undefined when it is not JSON or not that shape (an error body). */
export function parseJsonAs<T>(schema: Schema<T>, text: string): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A 2xx body against its schema: the data, or why it breaks the contract. */
export function parseJsonBody<T>(schema: Schema<T>, text: string): { ok: true; data: T } | { ok: false; detail: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, detail: `the body is not JSON (${text.length} characters)` };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, detail: formatIssues(parsed.error.issues) };
}

/** The first three validation issues, as `path: message; ...`. */
export function formatIssues(issues: ReadonlyArray<Issue>): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** The start of a body that is not the API's error shape, as an error's detail; undefined when blank. */
export function bodyExcerpt(text: string): string | undefined {
  return text.trim().slice(0, MAX_DETAIL_CHARS) || undefined;
}
