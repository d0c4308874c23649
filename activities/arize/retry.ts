/**
 * Arize's retries inside one activity attempt: the shared backoff (../shared/retry.ts), with the
 * attempts recorded on the error. Arize has no idempotency key: a create is retried (a lost create
 * comes back as 409, which the uploader resolves by name), an append is not (a lost append would
 * be stored twice; the uploader lists the runs already stored, then appends the rest).
 */
import { withRetries as withSharedRetries } from '../shared/retry';
import { ArizeApiError } from './errors';

export { backoffMs, RETRY_BASE_MS, RETRY_CAP_MS } from '../shared/retry';

export function withRetries<T>(attempt: () => Promise<T>, opts: { maxRetries: number; signal?: AbortSignal | undefined }): Promise<T> {
  return withSharedRetries(attempt, {
    ...opts,
    onGiveUp: (err, attempts) => (attempts > 1 && err instanceof ArizeApiError ? err.withAttempts(attempts) : err),
  });
}
