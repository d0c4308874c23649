/**
 * One HTTP exchange with Arize: auth, problem+json errors and zod validation of the response body,
 * over the shared transport (../shared/http-transport.ts: the Pool, the deadline, the caller's
 * AbortSignal, network errors, Retry-After). Retries live in retry.ts.
 */
import { STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { ARIZE_ERROR_CODES, ArizeApiError, isRetryableStatus } from './errors';
import { problemSchema } from './schemas';
import {
  bodyExcerpt,
  exchange,
  networkErrorInit,
  ownDispatcher,
  parseJsonAs,
  parseJsonBody,
  parseRetryAfter,
  redactor,
  type HttpResponse,
} from '../shared/http-transport';

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

/** Creates the transport, with one keep-alive undici Pool (16 connections) for the base URL's origin unless a dispatcher is given. */
export function createHttp(options: HttpOptions): Http {
  const base = new URL(options.baseUrl);
  const origin = base.origin;
  const prefix = base.pathname.replace(/\/+$/, '');
  const { apiKey, timeoutMs } = options;
  const transport = ownDispatcher(origin, { dispatcher: options.dispatcher, connections: 16, timeoutMs });
  const redact = redactor(apiKey);

  async function send<S extends z.ZodType>(request: HttpRequest<S>): Promise<z.output<S>> {
    const endpoint = `${request.method} ${request.path}`;
    const response = await exchange(
      transport.dispatcher,
      {
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
      },
      { timeoutMs, signal: request.signal, networkError: (err, timedOut) => networkError(endpoint, err, timedOut, timeoutMs, redact) },
    );
    if (response.status < 200 || response.status >= 300) throw statusError(endpoint, response, redact);
    const body = parseJsonBody<z.output<S>>(request.schema, response.text);
    if (!body.ok) throw invalidResponse(endpoint, response.status, body.detail);
    return body.data;
  }

  return { send, close: () => transport.close() };
}

function queryString(query: HttpRequest<z.ZodType>['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null) params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** A request with no response: a timeout or a transient network error is retried; a programming error, or an error without a code, is not. */
function networkError(endpoint: string, err: unknown, timedOut: boolean, timeoutMs: number, redact: (s: string) => string): ArizeApiError {
  const { kind, ...init } = networkErrorInit(err, { endpoint, timedOut, timeoutMs, redact, withoutCode: 'fatal' });
  return new ArizeApiError({ ...init, errorCode: kind === 'timeout' ? ARIZE_ERROR_CODES.timeout : ARIZE_ERROR_CODES.network });
}

function statusError(endpoint: string, response: HttpResponse, redact: (s: string) => string): ArizeApiError {
  const problem = parseJsonAs(problemSchema, response.text);
  const detail = problem ? problem.detail : bodyExcerpt(response.text);
  return new ArizeApiError({
    status: response.status,
    title: redact(problem?.title ?? STATUS_CODES[response.status] ?? 'HTTP error'),
    detail: detail === undefined ? undefined : redact(detail),
    errorCode: problem?.error_code,
    endpoint,
    retryable: isRetryableStatus(response.status),
    retryAfterMs: parseRetryAfter(response.headers),
  });
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
