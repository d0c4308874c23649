/**
 * The Arize AX REST v2 client (undici + zod) behind the {@link ArizeClient} interface: names
 * resolved exactly, limits checked before sending, retryable failures retried (see retry.ts).
 */
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { chunkRuns, MAX_RUNS_PER_REQUEST } from './chunk';
import { DEFAULT_ARIZE_BASE_URL } from './config';
import { createHttp, invalidResponse, type HttpRequest } from './http';
import { looksLikeId } from './ids';
import { collectExactMatches, onlyMatch } from './names';
import { withRetries } from './retry';
import {
  datasetSchema,
  experimentRunSchema,
  experimentSchema,
  experimentWithRunIdsSchema,
  listDatasetsSchema,
  listExamplesSchema,
  listExperimentsSchema,
  listRunsSchema,
  listSpacesSchema,
  paginationSchema,
  spaceSchema,
} from './schemas';
import type { ArizeClient, ArizeDataset, ArizeExperiment, ArizeRun, ArizeRunInput, CallOptions } from './types';

export { chunkRuns };

/** Options of {@link createArizeClient}. */
export interface ArizeClientOptions {
  /** Default {@link DEFAULT_ARIZE_BASE_URL}. */
  baseUrl?: string;
  apiKey: string;
  /** Deadline per request (connect, headers and body), default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Retries after the first attempt for retryable failures, default {@link DEFAULT_MAX_RETRIES}. */
  maxRetries?: number;
  /** An undici dispatcher to use instead of the client's own Pool; the caller closes it. */
  dispatcher?: Dispatcher;
}

/** An {@link ArizeClient} that owns a connection pool. */
export type ArizeHttpClient = ArizeClient & { close(): Promise<void> };

/** Per-request deadline unless `timeoutMs` is given. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Retries unless `maxRetries` is given. */
export const DEFAULT_MAX_RETRIES = 3;
/** Page size for name lookups (the maximum of spaces, datasets and experiments). */
const NAME_PAGE_LIMIT = 100;
/** Maximum (and default) page size of examples and runs. */
export const MAX_PAGE_LIMIT = 500;

/** Creates the client; call `close()` when done to release its keep-alive connections. */
export function createArizeClient(options: ArizeClientOptions): ArizeHttpClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (options.apiKey.trim() === '') throw new TypeError('Arize apiKey is empty');
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new RangeError(`maxRetries must be a whole number, got ${maxRetries}`);
  const http = createHttp({
    baseUrl: options.baseUrl ?? DEFAULT_ARIZE_BASE_URL,
    apiKey: options.apiKey,
    timeoutMs,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  });
  const call = <S extends z.ZodType>(request: HttpRequest<S>, retries = maxRetries): Promise<z.output<S>> =>
    withRetries(() => http.send(request), { maxRetries: retries, signal: request.signal });

  async function getDataset(id: string, opts?: CallOptions): Promise<ArizeDataset> {
    return toDataset(await call({ method: 'GET', path: `/v2/datasets/${enc(id)}`, schema: datasetSchema, signal: opts?.signal }));
  }

  const client: ArizeHttpClient = {
    async resolveSpace(nameOrId, opts) {
      if (looksLikeId(nameOrId)) {
        const space = await call({ method: 'GET', path: `/v2/spaces/${enc(nameOrId)}`, schema: spaceSchema, signal: opts?.signal });
        return { id: space.id, name: space.name };
      }
      const endpoint = 'GET /v2/spaces';
      const matches = await collectExactMatches(endpoint, nameOrId, async (cursor) => {
        const query = { name: nameOrId, limit: NAME_PAGE_LIMIT, cursor };
        const body = await call({ method: 'GET', path: '/v2/spaces', query, schema: listSpacesSchema, signal: opts?.signal });
        return { items: body.spaces, nextCursor: nextCursor(body.pagination) };
      });
      const space = onlyMatch(matches, 'space', nameOrId, endpoint);
      return { id: space.id, name: space.name };
    },

    async resolveDataset({ dataset, space }, opts) {
      if (looksLikeId(dataset)) return getDataset(dataset, opts);
      if (space === undefined || space.trim() === '') {
        throw new TypeError(`dataset name "${dataset}" needs a space (a space name or id, e.g. from ARIZE_SPACE)`);
      }
      const spaceId = (await client.resolveSpace(space, opts)).id;
      const endpoint = 'GET /v2/datasets';
      const matches = await collectExactMatches(endpoint, dataset, async (cursor) => {
        const query = { space_id: spaceId, name: dataset, limit: NAME_PAGE_LIMIT, cursor };
        const body = await call({ method: 'GET', path: '/v2/datasets', query, schema: listDatasetsSchema, signal: opts?.signal });
        return { items: body.datasets, nextCursor: nextCursor(body.pagination) };
      });
      // The list leaves out versions: fetch the dataset itself for them.
      return getDataset(onlyMatch(matches, 'dataset', dataset, endpoint).id, opts);
    },

    async listExamples(datasetId, page, opts) {
      const limit = checkLimit(page.limit, 'listExamples');
      const query = { dataset_version_id: page.versionId, limit, cursor: page.cursor };
      const path = `/v2/datasets/${enc(datasetId)}/examples`;
      const body = await call({ method: 'GET', path, query, schema: listExamplesSchema, signal: opts?.signal });
      return { items: body.examples, nextCursor: nextCursor(body.pagination) };
    },

    async findExperiment(datasetId, name, opts) {
      const endpoint = 'GET /v2/experiments';
      const matches = await collectExactMatches(endpoint, name, async (cursor) => {
        const query = { dataset_id: datasetId, name, limit: NAME_PAGE_LIMIT, cursor };
        const body = await call({ method: 'GET', path: '/v2/experiments', query, schema: listExperimentsSchema, signal: opts?.signal });
        return { items: body.experiments, nextCursor: nextCursor(body.pagination) };
      });
      return matches.length === 0 ? undefined : toExperiment(onlyMatch(matches, 'experiment', name, endpoint));
    },

    async getExperiment(experimentId, opts) {
      const path = `/v2/experiments/${enc(experimentId)}`;
      return toExperiment(await call({ method: 'GET', path, schema: experimentSchema, signal: opts?.signal }));
    },

    async createExperiment({ name, datasetId, runs }, opts) {
      checkRunCount(runs, 'createExperiment');
      const body = { name, dataset_id: datasetId, experiment_runs: runs };
      return toExperiment(await call({ method: 'POST', path: '/v2/experiments', body, schema: experimentSchema, signal: opts?.signal }));
    },

    async appendRuns(experimentId, runs, opts) {
      checkRunCount(runs, 'appendRuns');
      const path = `/v2/experiments/${enc(experimentId)}/runs`;
      const body = { experiment_runs: runs };
      // Never retried here: an append whose response was lost may be stored, and a blind retry would
      // store it twice. The uploader retries after listing what the experiment already holds.
      const result = await call({ method: 'POST', path, body, schema: experimentWithRunIdsSchema, signal: opts?.signal }, 0);
      if (result.run_ids.length !== runs.length) {
        throw invalidResponse(`POST ${path}`, 201, `sent ${runs.length} runs but got ${result.run_ids.length} run_ids back`);
      }
      return { runIds: result.run_ids };
    },

    async listRuns(experimentId, page, opts) {
      const limit = checkLimit(page.limit, 'listRuns');
      const path = `/v2/experiments/${enc(experimentId)}/runs`;
      const query = { limit, cursor: page.cursor };
      const body = await call({ method: 'GET', path, query, schema: listRunsSchema, signal: opts?.signal });
      return { items: body.experiment_runs.map(toRun), nextCursor: nextCursor(body.pagination) };
    },

    close: () => http.close(),
  };
  return client;
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

function nextCursor(pagination: z.output<typeof paginationSchema>): string | null {
  return pagination.has_more ? (pagination.next_cursor ?? null) : null;
}

function checkLimit(limit: number | undefined, method: string): number {
  if (limit === undefined) return MAX_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new RangeError(`${method}: limit must be an integer from 1 to ${MAX_PAGE_LIMIT}, got ${limit}`);
  }
  return limit;
}

function checkRunCount(runs: readonly ArizeRunInput[], method: string): void {
  if (runs.length < 1 || runs.length > MAX_RUNS_PER_REQUEST) {
    throw new RangeError(
      `${method} takes 1 to ${MAX_RUNS_PER_REQUEST} runs per request (the API refuses others), got ${runs.length}; split them with chunkRuns()`,
    );
  }
}

function toDataset(dataset: z.output<typeof datasetSchema>): ArizeDataset {
  return {
    id: dataset.id,
    name: dataset.name,
    space_id: dataset.space_id,
    versions: (dataset.versions ?? []).map((v) => (v.created_at === undefined ? { id: v.id } : { id: v.id, created_at: v.created_at })),
  };
}

function toExperiment(experiment: z.output<typeof experimentSchema>): ArizeExperiment {
  const { id, name, dataset_id, dataset_version_id, space_id, created_at } = experiment;
  return {
    id,
    name,
    dataset_id,
    ...(dataset_version_id ? { dataset_version_id } : {}),
    ...(space_id === undefined ? {} : { space_id }),
    ...(created_at === undefined ? {} : { created_at }),
  };
}

/** A failed task's run comes back with `output: null`; the interface (and the API on input) wants a string. */
function toRun(run: z.output<typeof experimentRunSchema>): ArizeRun {
  return { ...run, output: run.output ?? '' };
}
