/**
 * One HTTP exchange with Arize over undici: auth, an overall deadline, the caller's AbortSignal,
 * problem+json errors and zod validation of the response body. Retries live in retry.ts.
 */
import { STATUS_CODES } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { ARIZE_ERROR_CODES, ArizeApiError, isRetryableStatus } from './errors';
import { problemSchema } from './schemas';
import { deadline } from '../shared/deadline';

/** Settings for {@link createHttp}. */
export interface HttpOptions {
  baseUrl: string;
  apiKey: string;
  /** Deadline for the whole exchange: connecting, headers and body. */
  timeoutMs: number;
  /** Used instead of the client's own keep-alive Pool; the caller closes it. */
  dispatcher?: Dispatcher;
}

/** A request; `path` starts with `/v2/` and has its segments already encoded. */
export interface HttpRequest<S extends z.ZodType> {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | null | undefined>;
  body?: unknown;
  schema: S;
  signal?: AbortSignal | undefined;
}

/** Sends single requests; {@link createHttp} makes one. */
export interface Http {
  send<S extends z.ZodType>(request: HttpRequest<S>): Promise<z.output<S>>;
  close(): Promise<void>;
}

/** undici error codes that are programming errors, not a flaky network: never retried. */
const NOT_TRANSIENT = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_INVALID_RETURN_VALUE', 'ERR_INVALID_URL']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const MAX_DETAIL_CHARS = 500;

/** Creates the transport, with one keep-alive undici Pool for the base URL's origin unless a dispatcher is given. */
export function createHttp(options: HttpOptions): Http {
  const base = new URL(options.baseUrl);
  const origin = base.origin;
  const prefix = base.pathname.replace(/\/+$/, '');
  const { apiKey, timeoutMs } = options;
  const pool = options.dispatcher
    ? undefined
    : new Pool(origin, { connections: 16, keepAliveTimeout: 30_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const dispatcher: Dispatcher = options.dispatcher ?? (pool as Pool);
  const redact = (text: string): string => (apiKey === '' ? text : text.split(apiKey).join('[redacted]'));

  async function send<S extends z.ZodType>(request: HttpRequest<S>): Promise<z.output<S>> {
    const endpoint = `${request.method} ${request.path}`;
    const callerSignal = request.signal;
    const limit = deadline(timeoutMs, callerSignal);
    try {
      let response: { status: number; headers: Record<string, string | string[] | undefined>; text: string };
      try {
        const res = await dispatcher.request({
          origin,
          path: prefix + request.path + queryString(request.query),
          method: request.method,
          headers: {
            authorization: `Bearer ${apiKey}`,
            accept: 'application/json, application/problem+json',
            'user-agent': 'dxp-arize-client',
            ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: request.body === undefined ? null : JSON.stringify(request.body),
          signal: limit.signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        response = { status: res.statusCode, headers: res.headers, text: await res.body.text() };
      } catch (err) {
        callerSignal?.throwIfAborted();
        throw networkError(endpoint, err, limit.timedOut(), timeoutMs, redact);
      }
      if (response.status < 200 || response.status >= 300) throw statusError(endpoint, response, redact);
      return parseBody(endpoint, response.status, response.text, request.schema);
    } finally {
      limit.dispose();
    }
  }

  return { send, close: async () => pool?.close() };
}

/** Milliseconds to wait from a `Retry-After` header: delta-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function queryString(query: HttpRequest<z.ZodType>['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null) params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function networkError(endpoint: string, err: unknown, timedOut: boolean, timeoutMs: number, redact: (s: string) => string) {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
  const message = redact(err instanceof Error ? err.message : String(err));
  if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return new ArizeApiError({
      status: 0,
      title: 'Request timed out',
      detail: `no complete response within ${timeoutMs} ms`,
      errorCode: ARIZE_ERROR_CODES.timeout,
      endpoint,
      retryable: true,
      cause: err,
    });
  }
  return new ArizeApiError({
    status: 0,
    title: 'Network error',
    detail: code ? `${code}: ${message}` : message,
    errorCode: ARIZE_ERROR_CODES.network,
    endpoint,
    retryable: code !== undefined && !NOT_TRANSIENT.has(code),
    cause: err,
  });
}

function statusError(
  endpoint: string,
  response: { status: number; headers: Record<string, string | string[] | undefined>; text: string },
  redact: (s: string) => string,
): ArizeApiError {
  const problem = parseProblem(response.text);
  const fallbackDetail = problem ? undefined : response.text.trim().slice(0, MAX_DETAIL_CHARS) || undefined;
  const detail = problem?.detail ?? fallbackDetail;
  return new ArizeApiError({
    status: response.status,
    title: redact(problem?.title ?? STATUS_CODES[response.status] ?? 'HTTP error'),
    detail: detail === undefined ? undefined : redact(detail),
    errorCode: problem?.error_code,
    endpoint,
    retryable: isRetryableStatus(response.status),
    retryAfterMs: parseRetryAfter(response.headers['retry-after']),
  });
}

function parseProblem(text: string) {
  try {
    const parsed = problemSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function parseBody<S extends z.ZodType>(endpoint: string, status: number, text: string, schema: S): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalidResponse(endpoint, status, `the body is not JSON (${text.length} characters)`);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`);
  throw invalidResponse(endpoint, status, issues.join('; '));
}

/** A 2xx whose body breaks the contract: not retried, since the same request gets the same answer. */
export function invalidResponse(endpoint: string, status: number, detail: string): ArizeApiError {
  return new ArizeApiError({
    status,
    title: 'Response does not match the API contract',
    detail,
    errorCode: ARIZE_ERROR_CODES.invalidResponse,
    endpoint,
    retryable: false,
  });
}
