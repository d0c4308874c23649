/** The one error the Phoenix client throws: an HTTP error status, no response, or a body that breaks the contract. */
import { ApiError, type ApiErrorInit } from '../shared/api-error';

/** Statuses worth retrying: rate limiting and server-side failures (not 501, which never changes). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

/** A failed Phoenix call; `retryable` and `retryAfterMs` as for Arize, so an activity can set `nextRetryDelay`. */
export class PhoenixApiError extends ApiError {
  override readonly name = 'PhoenixApiError';

  constructor(init: ApiErrorInit) {
    super('Phoenix', init, '');
  }
}
