/**
 * A loopback Arize AX (REST v2) for tests: the endpoints dxp uses, bearer auth, request
 * validation against the OpenAPI contract, cursor pagination, and scripted faults.
 *
 * @example
 * const fake = new ArizeFake();
 * const { baseUrl } = await fake.start();
 * const space = fake.seedSpace('team');
 * fake.fault('POST /v2/experiments/:id/runs', { kind: '429', retryAfterSeconds: 1 });
 * // ... point the client at baseUrl with fake.apiKey ...
 * await fake.stop();
 */
import type * as http from 'node:http';
import { LoopbackServer, readBody } from '../loopback';
import type { Experiment, ExperimentRun, Problem, Space } from './api-types';
import { ANY_ROUTE, FaultPlan, type Fault } from './faults';
import { HttpProblem, TITLES } from './problem';
import { matchRoute, ROUTES, type RouteResult } from './routes';
import { ArizeStore, type SeedExample, type SeededDataset } from './store';

/** The key the fake accepts unless another is given. */
export const FAKE_API_KEY = 'fake-arize-key-0123456789';

/** One request as the fake saw it; never holds the Authorization header. */
export interface RequestLogEntry {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Route key (`GET /v2/datasets/:id/examples`), when a route matched. */
  route?: string;
  /** Status sent; 0 when the socket was destroyed without a response. */
  status: number;
  /** Arrival time, epoch milliseconds. */
  time: number;
  /** The fault this request consumed, if any. */
  fault?: Fault['kind'];
}

/** The fake server; see the file comment for an example. */
export class ArizeFake {
  readonly apiKey: string;
  private readonly store = new ArizeStore();
  private readonly faults = new FaultPlan();
  private readonly log: RequestLogEntry[] = [];
  private readonly server = new LoopbackServer('ArizeFake', (req, res) => this.handle(req, res));

  constructor(options: { apiKey?: string } = {}) {
    this.apiKey = options.apiKey ?? FAKE_API_KEY;
  }

  /** Listens on 127.0.0.1 on an ephemeral port. */
  async start(): Promise<{ baseUrl: string }> {
    return { baseUrl: await this.server.start() };
  }

  /** Closes the server and every connection; pending slow faults give up. */
  stop(): Promise<void> {
    return this.server.stop();
  }

  seedSpace(name: string): Space {
    return this.store.seedSpace(name);
  }

  /** `examples` make the first version; each of `versions` makes a newer one (a full snapshot). */
  seedDataset(spaceId: string, name: string, examples: SeedExample[], options: { versions?: Array<{ name?: string; examples: SeedExample[] }> } = {}): SeededDataset {
    return this.store.seedDataset(spaceId, name, examples, options.versions ?? []);
  }

  /** Every experiment, in creation order. */
  experiments(): Experiment[] {
    return this.store.allExperiments();
  }

  /** The experiment's runs in insertion order (empty for an unknown id). */
  runs(experimentId: string): ExperimentRun[] {
    return this.store.allRuns(experimentId);
  }

  /** Copies of the log entries, oldest first. */
  requestLog(): RequestLogEntry[] {
    return this.log.map((entry) => ({ ...entry }));
  }

  /** Queues faults for a route key (e.g. `POST /v2/experiments/:id/runs`) or `'*'` for any request. */
  fault(route: string, ...faults: Fault[]): void {
    if (route !== ANY_ROUTE && !ROUTES.some((r) => r.key === route)) {
      throw new Error(`no route "${route}"; known: ${ROUTES.map((r) => r.key).join(', ')}`);
    }
    this.faults.add(route, faults);
  }

  /** Faults queued but not yet consumed. */
  pendingFaults(): number {
    return this.faults.pending();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const entry: RequestLogEntry = { method: req.method ?? '', path: url.pathname, status: 0, time: Date.now() };
    this.log.push(entry);
    const body = await readBody(req);
    let matched: ReturnType<typeof matchRoute>;
    try {
      matched = matchRoute(entry.method, url.pathname);
    } catch (err) {
      return this.respond(res, entry, problemResult(err));
    }
    if (!matched) return this.respond(res, entry, problemResult(new HttpProblem(404, TITLES[404] ?? '', `no route for ${entry.method} ${url.pathname}`)));
    entry.route = matched.route.key;

    const fault = this.faults.next(matched.route.key);
    if (fault) entry.fault = fault.kind;
    switch (fault?.kind) {
      case '429': {
        const headers: Record<string, string> =
          fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
        return this.respond(res, entry, problemResult(new HttpProblem(429, TITLES[429] ?? '', 'too many requests')), headers);
      }
      case '403':
      case '500':
      case '503':
        return this.respond(res, entry, problemResult(new HttpProblem(Number(fault.kind), TITLES[Number(fault.kind)] ?? '', 'scripted fault')));
      case 'reset':
        req.socket.destroy();
        return;
      case 'slow':
        if (!(await this.server.sleep(fault.ms))) return;
        break;
      default:
        break;
    }

    let result: RouteResult;
    try {
      if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
        throw new HttpProblem(401, TITLES[401] ?? '', 'a valid API key is required: Authorization: Bearer <key>');
      }
      result = matched.route.handle(this.store, { params: matched.params, query: Object.fromEntries(url.searchParams), body });
    } catch (err) {
      result = problemResult(err);
    }
    if (fault?.kind === 'commit-then-drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'commit-then-500') result = problemResult(new HttpProblem(500, TITLES[500] ?? '', 'scripted fault after commit'));
    this.respond(res, entry, result);
  }

  private respond(res: http.ServerResponse, entry: RequestLogEntry, result: RouteResult, headers: Record<string, string> = {}): void {
    entry.status = result.status;
    const type = result.status >= 400 ? 'application/problem+json' : 'application/json';
    res.writeHead(result.status, { 'content-type': type, ...headers });
    res.end(JSON.stringify(result.body));
  }
}

function problemResult(err: unknown): RouteResult {
  const problem =
    err instanceof HttpProblem ? err : new HttpProblem(500, TITLES[500] ?? '', err instanceof Error ? err.message : String(err));
  const body: Problem = { status: problem.status, title: problem.title, ...(problem.detail === undefined ? {} : { detail: problem.detail }) };
  return { status: problem.status, body };
}
