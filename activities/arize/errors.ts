/**
 * The one error the Arize client throws for anything that went wrong talking to Arize: an HTTP
 * error status, a network failure or timeout, a response that breaks the contract, or a name
 * that resolves to no resource or to several. Thrown by every `ArizeClient` method.
 */
import { ApiError, type ApiErrorInit } from '../shared/api-error';

export { isRetryableStatus } from '../shared/retry';

/** Codes the client sets itself; otherwise `errorCode` is the problem's `error_code`, if any. */
export const ARIZE_ERROR_CODES = {
  network: 'network_error',
  timeout: 'timeout',
  invalidResponse: 'invalid_response',
  nameNotFound: 'name_not_found',
  nameAmbiguous: 'name_ambiguous',
} as const;

/** Fields of an {@link ArizeApiError}; `message` is built from them. */
export interface ArizeApiErrorInit extends ApiErrorInit {
  errorCode?: string;
  /** Requests made, retries included. */
  attempts?: number;
}

/**
 * A failed Arize call. `retryable` is true for 429, 5xx, network errors and timeouts (after the
 * client's own retries ran out); `retryAfterMs` carries the server's `Retry-After` so a Temporal
 * activity can set `nextRetryDelay`. It never holds the API key.
 */
export class ArizeApiError extends ApiError {
  override readonly name = 'ArizeApiError';
  readonly errorCode: string | undefined;
  readonly attempts: number;

  constructor(init: ArizeApiErrorInit) {
    super('Arize', init, init.attempts && init.attempts > 1 ? ` (after ${init.attempts} attempts)` : '');
    this.errorCode = init.errorCode;
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
