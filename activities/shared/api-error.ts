/** What every HTTP API client's error carries (Arize, model providers); each client subclasses it. */

/** Fields of every {@link ApiError}; a client's init adds its own. */
export interface ApiErrorInit {
  /** HTTP status, or 0 when no response arrived (network error, timeout) or nothing was sent. */
  status: number;
  title: string;
  detail?: string | undefined;
  /** Method and path, e.g. `POST /v2/experiments` or `POST /chat/completions`; never a query string. */
  endpoint: string;
  retryable: boolean;
  /** The server's `Retry-After` (or `retry-after-ms`), in milliseconds. */
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/** A failed call; the message reads `<service> <endpoint> failed: [<status> ]<title>[: <detail>]<suffix>`. */
export abstract class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly endpoint: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  /** `suffix` ends the message, e.g. ` (model gpt-4o)`; empty or starting with a space. */
  protected constructor(service: string, init: ApiErrorInit, suffix: string) {
    super(formatMessage(service, init, suffix), init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.endpoint = init.endpoint;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
  }
}

function formatMessage(service: string, init: ApiErrorInit, suffix: string): string {
  const status = init.status === 0 ? '' : ` ${init.status}`;
  const detail = init.detail && init.detail !== init.title ? `: ${init.detail}` : '';
  return `${service} ${init.endpoint} failed:${status} ${init.title}${detail}${suffix}`;
}
