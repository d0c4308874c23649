/**
 * The one error the Arize client throws for anything that went wrong talking to Arize: an HTTP
 * error status, a network failure or timeout, a response that breaks the contract, or a name
 * that resolves to no resource or to several. Thrown by every `ArizeClient` method.
 */

/** Codes the client sets itself; otherwise `errorCode` is the problem's `error_code`, if any. */
export const ARIZE_ERROR_CODES = {
  network: 'network_error',
  timeout: 'timeout',
  invalidResponse: 'invalid_response',
  nameNotFound: 'name_not_found',
  nameAmbiguous: 'name_ambiguous',
} as const;

/** Statuses worth retrying: rate limiting and server-side failures (not 501, which never changes). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

/** Fields of an {@link ArizeApiError}; `message` is built from them. */
export interface ArizeApiErrorInit {
  /** HTTP status, or 0 when no response arrived (network error, timeout). */
  status: number;
  title: string;
  detail?: string;
  errorCode?: string;
  /** Method and path, e.g. `POST /v2/experiments`; never a query string. */
  endpoint: string;
  retryable: boolean;
  retryAfterMs?: number;
  /** Requests made, retries included. */
  attempts?: number;
  cause?: unknown;
}

/**
 * A failed Arize call. `retryable` is true for 429, 5xx, network errors and timeouts (after the
 * client's own retries ran out); `retryAfterMs` carries the server's `Retry-After` so a Temporal
 * activity can set `nextRetryDelay`. It never holds the API key.
 */
export class ArizeApiError extends Error {
  override readonly name = 'ArizeApiError';
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errorCode: string | undefined;
  readonly endpoint: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly attempts: number;

  constructor(init: ArizeApiErrorInit) {
    super(formatMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.errorCode = init.errorCode;
    this.endpoint = init.endpoint;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
    this.attempts = init.attempts ?? 1;
  }

  /** The same error, recording how many requests were made in total. */
  withAttempts(attempts: number): ArizeApiError {
    return new ArizeApiError({ ...this.init(), attempts });
  }

  private init(): ArizeApiErrorInit {
    return {
      status: this.status,
      title: this.title,
      detail: this.detail,
      errorCode: this.errorCode,
      endpoint: this.endpoint,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      attempts: this.attempts,
      cause: this.cause,
    };
  }
}

function formatMessage(init: ArizeApiErrorInit): string {
  const status = init.status === 0 ? '' : ` ${init.status}`;
  const detail = init.detail && init.detail !== init.title ? `: ${init.detail}` : '';
  const attempts = init.attempts && init.attempts > 1 ? ` (after ${init.attempts} attempts)` : '';
  return `Arize ${init.endpoint} failed:${status} ${init.title}${detail}${attempts}`;
}
