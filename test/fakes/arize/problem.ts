/** Problem details (RFC 9457) as the fake answers them. */
import type { z } from 'zod';

/** Thrown by route handlers; the server turns it into an `application/problem+json` response. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
  ) {
    super(detail ?? title);
  }
}

/** Standard titles, as in the API's examples. */
export const TITLES: Record<number, string> = {
  400: 'Invalid request parameters',
  401: 'Authentication required',
  403: 'Forbidden',
  404: 'Resource not found',
  409: 'Resource conflict',
  422: 'Unprocessable Entity',
  429: 'Rate limit exceeded',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** A problem for a failed zod parse: `status` 400 for query params, 422 for bodies. */
export function validationProblem(status: 400 | 422, error: z.ZodError): HttpProblem {
  const detail = error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
  return new HttpProblem(status, TITLES[status] ?? 'Invalid request', detail);
}
