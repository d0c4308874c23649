/** The endpoints the fake serves: method, path pattern, and a handler over the store. */
import type { z } from 'zod';
import {
  createExperimentBody,
  insertRunsBody,
  listDatasetsQuery,
  listExamplesQuery,
  listExperimentsQuery,
  listRunsQuery,
  listSpacesQuery,
} from './contract';
import { HttpProblem, validationProblem } from './problem';
import type { ArizeStore } from './store';

/** What a handler sees of the request. */
export interface RouteRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  /** The raw body; handlers that take one parse it with {@link bodyOf}. */
  body: string;
}

/** A successful answer; failures are thrown as {@link HttpProblem}. */
export interface RouteResult {
  status: number;
  body: unknown;
}

/** One endpoint; `key` (e.g. `POST /v2/experiments/:id/runs`) names it in faults and the request log. */
export interface Route {
  key: string;
  method: 'GET' | 'POST';
  segments: string[];
  handle(store: ArizeStore, request: RouteRequest): RouteResult;
}

function route(key: string, handle: Route['handle']): Route {
  const [method, pattern = ''] = key.split(' ');
  if (method !== 'GET' && method !== 'POST') throw new Error(`bad route ${key}`);
  return { key, method, segments: pattern.split('/').filter(Boolean), handle };
}

function queryOf<S extends z.ZodType>(schema: S, query: Record<string, string>): z.output<S> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw validationProblem(400, parsed.error);
  return parsed.data;
}

function bodyOf<S extends z.ZodType>(schema: S, raw: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new HttpProblem(400, 'Invalid request parameters', 'the request body is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw validationProblem(422, parsed.error);
  return parsed.data;
}

const param = (request: RouteRequest, name: string): string => request.params[name] ?? '';

/** Every route, in match order. */
export const ROUTES: readonly Route[] = [
  route('GET /v2/spaces', (store, r) => ({ status: 200, body: store.listSpaces(queryOf(listSpacesQuery, r.query)) })),
  route('GET /v2/spaces/:id', (store, r) => ({ status: 200, body: store.getSpace(param(r, 'id')) })),
  route('GET /v2/datasets', (store, r) => ({ status: 200, body: store.listDatasets(queryOf(listDatasetsQuery, r.query)) })),
  route('GET /v2/datasets/:id', (store, r) => ({ status: 200, body: store.getDataset(param(r, 'id')) })),
  route('GET /v2/datasets/:id/examples', (store, r) => ({
    status: 200,
    body: store.listExamples(param(r, 'id'), queryOf(listExamplesQuery, r.query)),
  })),
  route('GET /v2/experiments', (store, r) => ({ status: 200, body: store.listExperiments(queryOf(listExperimentsQuery, r.query)) })),
  route('POST /v2/experiments', (store, r) => ({ status: 201, body: store.createExperiment(bodyOf(createExperimentBody, r.body)) })),
  route('GET /v2/experiments/:id', (store, r) => ({ status: 200, body: store.getExperiment(param(r, 'id')) })),
  route('GET /v2/experiments/:id/runs', (store, r) => ({
    status: 200,
    body: store.listRuns(param(r, 'id'), queryOf(listRunsQuery, r.query)),
  })),
  route('POST /v2/experiments/:id/runs', (store, r) => ({
    status: 201,
    body: store.insertRuns(param(r, 'id'), bodyOf(insertRunsBody, r.body)),
  })),
];

/** The route for a request and its decoded path parameters, if any matches. */
export function matchRoute(method: string, pathname: string): { route: Route; params: Record<string, string> } | undefined {
  const parts = pathname.split('/').filter(Boolean);
  for (const candidate of ROUTES) {
    if (candidate.method !== method || candidate.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = candidate.segments.every((segment, i) => {
      const part = parts[i] ?? '';
      if (!segment.startsWith(':')) return segment === part;
      params[segment.slice(1)] = decodeSegment(part);
      return true;
    });
    if (matches) return { route: candidate, params };
  }
  return undefined;
}

function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpProblem(400, 'Invalid request parameters', 'malformed percent-encoding in the path');
  }
}
