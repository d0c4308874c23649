/** The one error the Phoenix client throws: an HTTP error status, no response, or a body that breaks the contract. */
import { ApiError, type ApiErrorInit } from '../shared/api-error';

export { isRetryableStatus } from '../shared/retry';

/** A failed Phoenix call; `retryable` and `retryAfterMs` as for Arize, so an activity can set `nextRetryDelay`. */
export class PhoenixApiError extends ApiError {
  override readonly name = 'PhoenixApiError';

  constructor(init: ApiErrorInit) {
    super('Phoenix', init, '');
  }
}
