/** Scripted failures: queued per route (`'POST /v2/experiments/:id/runs'`) or globally (`'*'`), used up in order. */

/** One scripted failure, consumed by one request. */
export type Fault =
  /** 429 problem+json with `Retry-After: <seconds>` when given. */
  | { kind: '429'; retryAfterSeconds?: number }
  | { kind: '503' }
  /** 403 problem+json, e.g. a key that may read the dataset but not write experiments: not retryable. */
  | { kind: '403' }
  | { kind: '500' }
  /** Waits `ms` before handling the request normally (a write still happens, late). */
  | { kind: 'slow'; ms: number }
  /** Destroys the socket without responding and without applying the request. */
  | { kind: 'reset' }
  /** Applies the request, then destroys the socket without responding. */
  | { kind: 'commit-then-drop' }
  /** Applies the request, then answers 500. */
  | { kind: 'commit-then-500' };

/** Route key that matches every request. */
export const ANY_ROUTE = '*';

/** The queues; a request takes the next fault of its route, else the next global one. */
export class FaultPlan {
  private readonly queues = new Map<string, Fault[]>();

  add(route: string, faults: Fault[]): void {
    this.queues.set(route, [...(this.queues.get(route) ?? []), ...faults]);
  }

  next(route: string): Fault | undefined {
    return this.queues.get(route)?.shift() ?? this.queues.get(ANY_ROUTE)?.shift();
  }

  /** Faults not consumed yet, all routes together. */
  pending(): number {
    return [...this.queues.values()].reduce((n, q) => n + q.length, 0);
  }

  clear(): void {
    this.queues.clear();
  }
}
