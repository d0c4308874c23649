/**
 * Errors of the model client and their mapping to Temporal failures. The client never retries
 * by itself: it runs inside an activity, so {@link toActivityFailure} hands a retryable error to
 * Temporal with the server's `Retry-After` as the next attempt's delay.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ApiError, type ApiErrorInit } from '../shared/api-error';

/** Codes the client sets itself; otherwise `code` is the provider's `error.code`, if any. */
export const MODEL_ERROR_CODES = {
  network: 'network_error',
  timeout: 'timeout',
  /** A 2xx whose body breaks the chat-completions contract. */
  invalidResponse: 'invalid_response',
  /** A tool call whose `function.arguments` is not JSON. */
  invalidToolArguments: 'invalid_tool_arguments',
  /** The request failed validation before it was sent. */
  invalidRequest: 'invalid_request',
} as const;

/** The `type` of every ApplicationFailure {@link toActivityFailure} makes: a closed list. */
export const MODEL_FAILURE_TYPES = {
  /** Rate limited, server error, network error or timeout: retried by Temporal. */
  unavailable: 'ModelUnavailable',
  /** 400/401/403/404/422 and locally invalid requests: never retried. */
  rejected: 'ModelRejected',
  /** The model answered, but not in a usable form (bad tool-call JSON, broken response). */
  invalidOutput: 'ModelInvalidOutput',
  /** A missing or malformed setting (OPENAI_API_KEY, DXP_MODEL, ...): never retried. */
  config: 'ModelConfigError',
} as const;

/** Provider error codes that come with a 429 but will not clear by waiting. */
const PERMANENT_429_CODES = new Set(['insufficient_quota', 'billing_hard_limit_reached']);

/** Rate limiting and server-side failures (not 501, which never changes); not an exhausted quota. */
export function isRetryableStatus(status: number, code?: string): boolean {
  if (status === 429) return code === undefined || !PERMANENT_429_CODES.has(code);
  return status === 408 || (status >= 500 && status !== 501);
}

/** A missing or malformed model setting; the message names the variable at fault, never a key. */
export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';
}

/** Fields of a {@link ModelApiError}; `message` is built from them. */
export interface ModelApiErrorInit extends ApiErrorInit {
  /** The provider's `error.code` (e.g. `rate_limit_exceeded`), or one of {@link MODEL_ERROR_CODES}. */
  code?: string | undefined;
  /** The provider's `error.type` (e.g. `invalid_request_error`). */
  errorType?: string | undefined;
  /** The model asked for. */
  model?: string | undefined;
  /** The provider's `x-request-id`, for support tickets. */
  requestId?: string | undefined;
}

/**
 * A failed model call: an HTTP error status, a network failure or timeout, a response that breaks
 * the contract, or a tool call with unparseable arguments. `retryable` is true for 429 (except an
 * exhausted quota), 408, 5xx, network errors and timeouts. It never holds the API key.
 */
export class ModelApiError extends ApiError {
  override readonly name = 'ModelApiError';
  readonly code: string | undefined;
  readonly errorType: string | undefined;
  readonly model: string | undefined;
  readonly requestId: string | undefined;

  constructor(init: ModelApiErrorInit) {
    super('model', init, init.model ? ` (model ${init.model})` : '');
    this.code = init.code;
    this.errorType = init.errorType;
    this.model = init.model;
    this.requestId = init.requestId;
  }
}

/**
 * The ApplicationFailure to throw from an activity for a model error: a retryable
 * {@link ModelApiError} becomes `ModelUnavailable` with `nextRetryDelay = retryAfterMs`; a
 * non-retryable one `ModelRejected` (or `ModelInvalidOutput` for an unusable answer), and a
 * {@link ModelConfigError} `ModelConfigError`, both non-retryable. Anything else (a cancellation,
 * an ApplicationFailure) is returned unchanged, so `catch (err) { throw toActivityFailure(err) }`
 * is always right.
 *
 * @example
 * try { return await client.chat(request, { signal: Context.current().cancellationSignal }); }
 * catch (err) { throw toActivityFailure(err); }
 */
export function toActivityFailure(err: ModelApiError | ModelConfigError): ApplicationFailure;
export function toActivityFailure(err: unknown): unknown;
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ModelConfigError) {
    return ApplicationFailure.create({ type: MODEL_FAILURE_TYPES.config, message: err.message, nonRetryable: true, cause: err });
  }
  if (!(err instanceof ModelApiError)) return err;
  const invalidOutput = err.code === MODEL_ERROR_CODES.invalidResponse || err.code === MODEL_ERROR_CODES.invalidToolArguments;
  const type = invalidOutput
    ? MODEL_FAILURE_TYPES.invalidOutput
    : err.retryable
      ? MODEL_FAILURE_TYPES.unavailable
      : MODEL_FAILURE_TYPES.rejected;
  const details: Record<string, string | number> = { status: err.status };
  if (err.code !== undefined) details.code = err.code;
  if (err.model !== undefined) details.model = err.model;
  if (err.retryAfterMs !== undefined) details.retryAfterMs = err.retryAfterMs;
  if (err.requestId !== undefined) details.requestId = err.requestId;
  const attempt = currentAttempt();
  if (attempt !== undefined) details.attempt = attempt;
  return ApplicationFailure.create({
    type,
    message: err.message,
    nonRetryable: !err.retryable,
    details: [details],
    cause: err,
    ...(err.retryable && err.retryAfterMs !== undefined ? { nextRetryDelay: err.retryAfterMs } : {}),
  });
}

/** The attempt of the activity this runs in (run records show it); undefined outside an activity. */
function currentAttempt(): number | undefined {
  try {
    return Context.current().info.attempt;
  } catch {
    return undefined;
  }
}
