/** The Phoenix REST v1 client (undici + zod) behind {@link PhoenixClient}. */
import type { Dispatcher } from 'undici';
import { PhoenixApiError } from './errors';
import { createPhoenixHttp } from './http';
import {
  createdSchema,
  exportedRunsSchema,
  getDatasetSchema,
  getExperimentSchema,
  listDatasetsSchema,
  listExamplesSchema,
  listExperimentsSchema,
  listProjectsSchema,
  listRunsSchema,
  listVersionsSchema,
} from './schemas';
import type { PhoenixClient, PhoenixExperiment } from './types';

export interface PhoenixClientOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  /** Deadline per request; a whole version's examples come in one body, so it is generous. */
  timeoutMs?: number;
  maxRetries?: number;
  dispatcher?: Dispatcher;
}

export type PhoenixHttpClient = PhoenixClient & { close(): Promise<void> };

const PAGE_LIMIT = 100;

/** Phoenix ids are GlobalIDs: base64 of `Type:number` (`RGF0YXNldDox` is `Dataset:1`). */
export function isPhoenixId(value: string, type: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  return new RegExp(`^${type}:\\d+$`).test(Buffer.from(value, 'base64').toString('latin1'));
}

export function createPhoenixClient(options: PhoenixClientOptions): PhoenixHttpClient {
  const http = createPhoenixHttp({
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs ?? 60_000,
    maxRetries: options.maxRetries ?? 3,
    dispatcher: options.dispatcher,
  });

  /** Every item of a cursor-paged list. */
  async function all<T>(page: (cursor: string | undefined) => Promise<{ data: T[]; next_cursor?: string | null | undefined }>): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const body = await page(cursor);
      items.push(...body.data);
      cursor = body.next_cursor ?? undefined;
    } while (cursor !== undefined);
    return items;
  }

  return {
    async resolveDataset(nameOrId, opts) {
      if (isPhoenixId(nameOrId, 'Dataset')) {
        const body = await http.send({ method: 'GET', path: `/v1/datasets/${enc(nameOrId)}`, schema: getDatasetSchema, signal: opts?.signal });
        return { id: body.data.id, name: body.data.name };
      }
      const endpoint = 'GET /v1/datasets';
      const found = await all((cursor) =>
        http.send({ method: 'GET', path: '/v1/datasets', query: { name: nameOrId, limit: PAGE_LIMIT, cursor }, schema: listDatasetsSchema, signal: opts?.signal }),
      );
      const exact = found.filter((d) => d.name === nameOrId);
      if (exact.length === 0) throw new PhoenixApiError({ status: 404, title: 'Not Found', detail: `no dataset named "${nameOrId}"`, endpoint, retryable: false });
      if (exact.length > 1) {
        const ids = exact.map((d) => d.id).join(', ');
        throw new PhoenixApiError({ status: 409, title: 'Ambiguous name', detail: `${exact.length} datasets are named "${nameOrId}" (ids ${ids}); give the id instead`, endpoint, retryable: false });
      }
      return { id: exact[0]!.id, name: exact[0]!.name };
    },

    async listVersions(datasetId, opts) {
      const path = `/v1/datasets/${enc(datasetId)}/versions`;
      const versions = await all((cursor) => http.send({ method: 'GET', path, query: { limit: PAGE_LIMIT, cursor }, schema: listVersionsSchema, signal: opts?.signal }));
      return versions.map((v) => v.version_id);
    },

    async listExamples(datasetId, versionId, opts) {
      const path = `/v1/datasets/${enc(datasetId)}/examples`;
      const body = await http.send({ method: 'GET', path, query: { version_id: versionId }, schema: listExamplesSchema, signal: opts?.signal });
      return body.data.examples.map(({ id, input, output, metadata }) => ({ id, input, output, metadata }));
    },

    async listExperiments(datasetId, opts) {
      const path = `/v1/datasets/${enc(datasetId)}/experiments`;
      const experiments = await all((cursor) => http.send({ method: 'GET', path, query: { limit: PAGE_LIMIT, cursor }, schema: listExperimentsSchema, signal: opts?.signal }));
      return experiments.map(toExperiment);
    },

    async listProjects(opts) {
      const projects = await all((cursor) => http.send({ method: 'GET', path: '/v1/projects', query: { limit: PAGE_LIMIT, cursor }, schema: listProjectsSchema, signal: opts?.signal }));
      return projects.map(({ id, name }) => ({ id, name }));
    },

    async createExperiment(datasetId, { name, versionId, repetitions, metadata }, opts) {
      const path = `/v1/datasets/${enc(datasetId)}/experiments`;
      const body = { name, version_id: versionId, repetitions, metadata };
      return toExperiment((await http.send({ method: 'POST', path, body, schema: getExperimentSchema, retry: false, signal: opts?.signal })).data);
    },

    async createRun(experimentId, run, opts) {
      // Safe to repeat: Phoenix updates a failed run of the same (example, repetition) and refuses a second successful one.
      try {
        const body = await http.send({ method: 'POST', path: `/v1/experiments/${enc(experimentId)}/runs`, body: run, schema: createdSchema, signal: opts?.signal });
        return { id: body.data.id };
      } catch (err) {
        if (err instanceof PhoenixApiError && err.status === 409) return 'exists';
        throw err;
      }
    },

    async listRuns(experimentId, opts) {
      const path = `/v1/experiments/${enc(experimentId)}/runs`;
      const runs = await all((cursor) => http.send({ method: 'GET', path, query: { limit: 500, cursor }, schema: listRunsSchema, signal: opts?.signal }));
      return runs.map(({ id, dataset_example_id, repetition_number, output, error, trace_id }) => ({ id, dataset_example_id, repetition_number, output, error, trace_id }));
    },

    async getExperiment(experimentId, opts) {
      return toExperiment((await http.send({ method: 'GET', path: `/v1/experiments/${enc(experimentId)}`, schema: getExperimentSchema, signal: opts?.signal })).data);
    },

    async exportRuns(experimentId, opts) {
      return http.send({ method: 'GET', path: `/v1/experiments/${enc(experimentId)}/json`, schema: exportedRunsSchema, signal: opts?.signal });
    },

    async upsertEvaluation(evaluation, opts) {
      const body = await http.send({ method: 'POST', path: '/v1/experiment_evaluations', body: evaluation, schema: createdSchema, signal: opts?.signal });
      return { id: body.data.id };
    },

    close: () => http.close(),
  };
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

function toExperiment(e: { id: string; name: string; dataset_id: string; dataset_version_id: string; metadata?: Record<string, unknown> | null | undefined; created_at?: string | undefined }): PhoenixExperiment {
  return {
    id: e.id,
    name: e.name,
    dataset_id: e.dataset_id,
    dataset_version_id: e.dataset_version_id,
    metadata: e.metadata ?? {},
    ...(e.created_at === undefined ? {} : { created_at: e.created_at }),
  };
}
