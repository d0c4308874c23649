/**
 * One HTTP exchange with Phoenix over the shared transport (the Pool, the deadline, the caller's
 * AbortSignal, network errors, Retry-After), with zod validation of the body, and retries of the
 * calls that may repeat. Phoenix's error bodies are text/plain or FastAPI's `{ detail }`.
 */
import { STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { withRetries } from '../shared/retry';
import { bodyExcerpt, exchange, networkErrorInit, ownDispatcher, parseJsonBody, parseRetryAfter, redactor } from '../shared/http-transport';
import { isRetryableStatus, PhoenixApiError } from './errors';

export interface PhoenixHttpOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  timeoutMs: number;
  /** Retries of a retryable failure, for requests that may be sent again. */
  maxRetries: number;
  dispatcher?: Dispatcher | undefined;
}

export interface PhoenixRequest<S extends z.ZodType> {
  method: 'GET' | 'POST';
  /** Starts with `/v1/`, segments already encoded. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  schema: S;
  /** False for a request that must not be sent twice (a create whose answer may be lost). */
  retry?: boolean;
  signal?: AbortSignal | undefined;
}

export interface PhoenixHttp {
  send<S extends z.ZodType>(request: PhoenixRequest<S>): Promise<z.output<S>>;
  close(): Promise<void>;
}

export function createPhoenixHttp(options: PhoenixHttpOptions): PhoenixHttp {
  const base = new URL(options.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const transport = ownDispatcher(base.origin, { dispatcher: options.dispatcher, connections: 16, timeoutMs: options.timeoutMs });
  const redact = redactor(options.apiKey ?? '');

  async function once<S extends z.ZodType>(request: PhoenixRequest<S>): Promise<z.output<S>> {
    const endpoint = `${request.method} ${request.path}`;
    const response = await exchange(
      transport.dispatcher,
      {
        origin: base.origin,
        path: prefix + request.path + queryString(request.query),
        method: request.method,
        headers: {
          accept: 'application/json',
          'user-agent': 'dxp-phoenix-client',
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: request.body === undefined ? null : JSON.stringify(request.body),
      },
      {
        timeoutMs: options.timeoutMs,
        signal: request.signal,
        networkError: (err, timedOut) =>
          new PhoenixApiError(networkErrorInit(err, { endpoint, timedOut, timeoutMs: options.timeoutMs, redact, withoutCode: 'fatal' })),
      },
    );
    if (response.status < 200 || response.status >= 300) {
      const detail = bodyExcerpt(response.text);
      throw new PhoenixApiError({
        status: response.status,
        title: STATUS_CODES[response.status] ?? 'HTTP error',
        detail: detail === undefined ? undefined : redact(detail),
        endpoint,
        retryable: isRetryableStatus(response.status),
        retryAfterMs: parseRetryAfter(response.headers),
      });
    }
    const body = parseJsonBody<z.output<S>>(request.schema, response.text);
    if (!body.ok) throw new PhoenixApiError({ status: response.status, title: 'Response does not match the API contract', detail: body.detail, endpoint, retryable: false });
    return body.data;
  }

  function send<S extends z.ZodType>(request: PhoenixRequest<S>): Promise<z.output<S>> {
    return withRetries(() => once(request), { maxRetries: request.retry === false ? 0 : options.maxRetries, signal: request.signal });
  }

  return { send, close: () => transport.close() };
}

function queryString(query: PhoenixRequest<z.ZodType>['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
