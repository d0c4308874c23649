/**
 * An API client's error as the activity's failure: `<Service>Unavailable` (retried by Temporal,
 * the server's `Retry-After` as the next attempt's delay) or `<Service>Rejected` (never retried).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ApiError } from './api-error';

export function apiFailure(err: ApiError, service: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: err.retryable ? `${service}Unavailable` : `${service}Rejected`,
    message: err.message,
    nonRetryable: !err.retryable,
    cause: err,
    ...(err.retryAfterMs !== undefined ? { nextRetryDelay: err.retryAfterMs } : {}),
  });
}
