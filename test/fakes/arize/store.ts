/**
 * The fake's state and the endpoints' logic, without HTTP: spaces, datasets with versions and
 * examples, experiments and their runs. Ids look like Arize's (base64 of `Type:n`); example and
 * run ids are plain strings. Every object served is typed by the generated OpenAPI types.
 */
import type { z } from 'zod';
import type { Dataset, DatasetExample, DatasetVersion, Experiment, ExperimentRun, ExperimentWithRunIds, Space, components } from './api-types';
import {
  DEFAULT_LIMIT,
  type createExperimentBody,
  type experimentRunInput,
  type insertRunsBody,
  type listDatasetsQuery,
  type listExamplesQuery,
  type listExperimentsQuery,
  type listRunsQuery,
  type listSpacesQuery,
} from './contract';
import { paginate } from './pagination';
import { HttpProblem } from './problem';

type Schemas = components['schemas'];

/** An example to seed: user columns, optionally a fixed `id` (to share it across versions) and `created_at`. */
export type SeedExample = Record<string, unknown> & { id?: string; created_at?: string };

/** What `seedDataset` made; `versions` oldest first (the last one is the latest). */
export interface SeededDataset {
  id: string;
  name: string;
  space_id: string;
  versions: Array<{ id: string; name: string; examples: DatasetExample[] }>;
}

interface StoredVersion {
  version: DatasetVersion;
  examples: DatasetExample[];
}

interface StoredDataset {
  seq: number;
  dataset: Omit<Dataset, 'versions'>;
  /** Oldest first. */
  versions: StoredVersion[];
}

interface StoredExperiment {
  seq: number;
  experiment: Experiment;
  runs: Array<{ seq: number; run: ExperimentRun }>;
}

const EPOCH = Date.parse('2024-01-01T00:00:00Z');
const contains = (haystack: string, needle: string | undefined) =>
  needle === undefined || haystack.toLowerCase().includes(needle.toLowerCase());

/** Arize-style id: base64 of `Type:n`. */
export function arizeId(type: string, n: number): string {
  return Buffer.from(`${type}:${n}`).toString('base64');
}

/** The in-memory Arize. */
export class ArizeStore {
  private seq = 0;
  private readonly spaces: Array<{ seq: number; space: Space }> = [];
  private readonly datasets: StoredDataset[] = [];
  private readonly experimentList: StoredExperiment[] = [];

  seedSpace(name: string): Space {
    const seq = this.next();
    const space: Space = { id: arizeId('Space', seq), name, description: '', created_at: this.time(seq), is_private: false };
    this.spaces.push({ seq, space });
    return space;
  }

  seedDataset(spaceId: string, name: string, examples: SeedExample[], extraVersions: Array<{ name?: string; examples: SeedExample[] }>): SeededDataset {
    if (!this.spaces.some((s) => s.space.id === spaceId)) throw new Error(`seedDataset: no space ${spaceId}`);
    const seq = this.next();
    const id = arizeId('Dataset', seq);
    const stored: StoredDataset = {
      seq,
      dataset: { id, name, space_id: spaceId, created_at: this.time(seq), updated_at: this.time(seq) },
      versions: [],
    };
    for (const [i, v] of [{ name: 'v1', examples }, ...extraVersions].entries()) {
      const vseq = this.next();
      const version: DatasetVersion = {
        id: arizeId('DatasetVersion', vseq),
        name: v.name ?? `v${i + 1}`,
        dataset_id: id,
        created_at: this.time(vseq),
        updated_at: this.time(vseq),
      };
      stored.versions.push({ version, examples: v.examples.map((e) => this.example(e)) });
    }
    this.datasets.push(stored);
    return {
      id,
      name,
      space_id: spaceId,
      versions: stored.versions.map((v) => ({ id: v.version.id, name: v.version.name, examples: v.examples })),
    };
  }

  listSpaces(q: z.infer<typeof listSpacesQuery>): Schemas['ListSpacesResponse'] {
    const matching = this.spaces.filter((s) => contains(s.space.name, q.name));
    const { page, pagination } = paginate(matching, { key: (s) => [s.seq], order: 'asc', cursor: q.cursor, limit: q.limit ?? DEFAULT_LIMIT });
    return { spaces: page.map((s) => s.space), pagination };
  }

  getSpace(id: string): Space {
    const found = this.spaces.find((s) => s.space.id === id);
    if (!found) throw notFound('space', id);
    return found.space;
  }

  /** Newest first, without versions, as documented. */
  listDatasets(q: z.infer<typeof listDatasetsQuery>): Schemas['ListDatasetsResponse'] {
    const matching = this.datasets.filter(
      (d) =>
        (q.space_id === undefined || d.dataset.space_id === q.space_id) &&
        contains(this.spaceName(d.dataset.space_id), q.space_name) &&
        contains(d.dataset.name, q.name),
    );
    const { page, pagination } = paginate(matching, { key: (d) => [d.seq], order: 'desc', cursor: q.cursor, limit: q.limit ?? DEFAULT_LIMIT });
    return { datasets: page.map((d) => ({ ...d.dataset })), pagination };
  }

  /** With versions newest first. */
  getDataset(id: string): Dataset {
    const d = this.dataset(id);
    return { ...d.dataset, versions: [...d.versions].reverse().map((v) => v.version) };
  }

  /** Ascending `created_at`, then `id`; the latest version unless one is given. */
  listExamples(datasetId: string, q: z.infer<typeof listExamplesQuery>): Schemas['ListDatasetExamplesResponse'] {
    const d = this.dataset(datasetId);
    const version = q.dataset_version_id === undefined ? d.versions[d.versions.length - 1] : d.versions.find((v) => v.version.id === q.dataset_version_id);
    if (!version) throw notFound('dataset version', q.dataset_version_id ?? '(latest)');
    const { page, pagination } = paginate(version.examples, {
      key: (e) => [e.created_at, e.id],
      order: 'asc',
      cursor: q.cursor,
      limit: q.limit ?? DEFAULT_LIMIT,
    });
    return { examples: page, pagination };
  }

  listExperiments(q: z.infer<typeof listExperimentsQuery>): Schemas['ListExperimentsResponse'] {
    const matching = this.experimentList.filter(
      (e) =>
        (q.dataset_id === undefined || e.experiment.dataset_id === q.dataset_id) &&
        (q.space_id === undefined || e.experiment.space_id === q.space_id) &&
        contains(e.experiment.name, q.name),
    );
    const { page, pagination } = paginate(matching, { key: (e) => [e.seq], order: 'asc', cursor: q.cursor, limit: q.limit ?? DEFAULT_LIMIT });
    return { experiments: page.map((e) => e.experiment), pagination };
  }

  getExperiment(id: string): Experiment {
    return this.experiment(id).experiment;
  }

  /** Validates everything before writing anything: a refused request changes nothing. */
  createExperiment(body: z.infer<typeof createExperimentBody>): Experiment {
    let spaceId: string;
    let dataset: StoredDataset | undefined;
    if (body.dataset_id != null) {
      dataset = this.dataset(body.dataset_id);
      spaceId = dataset.dataset.space_id;
    } else {
      spaceId = this.getSpace(body.space_id ?? '').id;
    }
    const sameScope = this.experimentList.filter((e) =>
      dataset ? e.experiment.dataset_id === dataset.dataset.id : e.experiment.dataset_id == null && e.experiment.space_id === spaceId,
    );
    if (sameScope.some((e) => e.experiment.name === body.name)) {
      throw new HttpProblem(409, 'Resource conflict', `an experiment named "${body.name}" already exists ${dataset ? 'on this dataset' : 'in this space'}`);
    }
    this.checkRuns(body.experiment_runs, dataset);
    const seq = this.next();
    const latest = dataset?.versions[dataset.versions.length - 1];
    const experiment: Experiment = {
      id: arizeId('Experiment', seq),
      name: body.name,
      space_id: spaceId,
      dataset_id: dataset?.dataset.id ?? null,
      dataset_version_id: latest?.version.id ?? null,
      created_at: this.time(seq),
      updated_at: this.time(seq),
      integration_id: null,
    };
    const stored: StoredExperiment = { seq, experiment, runs: [] };
    this.experimentList.push(stored);
    this.appendRuns(stored, body.experiment_runs);
    return experiment;
  }

  insertRuns(experimentId: string, body: z.infer<typeof insertRunsBody>): ExperimentWithRunIds {
    const stored = this.experiment(experimentId);
    const dataset = stored.experiment.dataset_id == null ? undefined : this.dataset(stored.experiment.dataset_id);
    this.checkRuns(body.experiment_runs, dataset);
    return { ...stored.experiment, run_ids: this.appendRuns(stored, body.experiment_runs) };
  }

  /** Stable insertion order. */
  listRuns(experimentId: string, q: z.infer<typeof listRunsQuery>): Schemas['ListExperimentRunsResponse'] {
    const { page, pagination } = paginate(this.experiment(experimentId).runs, {
      key: (r) => [r.seq],
      order: 'asc',
      cursor: q.cursor,
      limit: q.limit ?? DEFAULT_LIMIT,
    });
    return { experiment_runs: page.map((r) => r.run), pagination };
  }

  allExperiments(): Experiment[] {
    return this.experimentList.map((e) => e.experiment);
  }

  allRuns(experimentId: string): ExperimentRun[] {
    return this.experimentList.find((e) => e.experiment.id === experimentId)?.runs.map((r) => r.run) ?? [];
  }

  private checkRuns(runs: Array<z.infer<typeof experimentRunInput>>, dataset: StoredDataset | undefined): void {
    if (!dataset) return;
    const known = new Set(dataset.versions.flatMap((v) => v.examples.map((e) => e.id)));
    runs.forEach((run, i) => {
      if (run.example_id == null) {
        throw new HttpProblem(422, 'Unprocessable Entity', `experiment_runs.${i}.example_id: required for an experiment on a dataset`);
      }
      if (!known.has(run.example_id)) {
        throw new HttpProblem(422, 'Unprocessable Entity', `experiment_runs.${i}.example_id: no example "${run.example_id}" in the dataset`);
      }
    });
  }

  private appendRuns(stored: StoredExperiment, runs: Array<z.infer<typeof experimentRunInput>>): string[] {
    return runs.map((input) => {
      const seq = this.next();
      const run = { ...input, id: `run-${String(seq).padStart(6, '0')}` } as ExperimentRun;
      stored.runs.push({ seq, run });
      return run.id;
    });
  }

  private example(seed: SeedExample): DatasetExample {
    const seq = this.next();
    const { id, created_at, ...columns } = seed;
    const created = created_at ?? this.time(seq);
    return { ...columns, id: id ?? `ex-${String(seq).padStart(6, '0')}`, created_at: created, updated_at: created };
  }

  private dataset(id: string): StoredDataset {
    const found = this.datasets.find((d) => d.dataset.id === id);
    if (!found) throw notFound('dataset', id);
    return found;
  }

  private experiment(id: string): StoredExperiment {
    const found = this.experimentList.find((e) => e.experiment.id === id);
    if (!found) throw notFound('experiment', id);
    return found;
  }

  private spaceName(id: string): string {
    return this.spaces.find((s) => s.space.id === id)?.space.name ?? '';
  }

  private next(): number {
    this.seq += 1;
    return this.seq;
  }

  private time(seq: number): string {
    return new Date(EPOCH + seq * 1000).toISOString();
  }
}

function notFound(what: string, id: string): HttpProblem {
  return new HttpProblem(404, 'Resource not found', `no ${what} with id "${id}"`);
}
