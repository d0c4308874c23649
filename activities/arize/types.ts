/**
 * What the pipeline needs from Arize AX (REST v2), as an interface: the undici client
 * implements it; the dataset source and the results sink use it. Field names follow the API.
 */

export interface ArizeSpace {
  id: string;
  name: string;
}

export interface ArizeDatasetVersion {
  id: string;
  created_at?: string;
}

export interface ArizeDataset {
  id: string;
  name: string;
  space_id: string;
  /** Newest first (as the API returns them). */
  versions: ArizeDatasetVersion[];
}

/** A dataset example: system fields plus flat user columns of any JSON value. */
export interface ArizeExample {
  id: string;
  created_at?: string;
  updated_at?: string;
  [column: string]: unknown;
}

export interface ArizeExperiment {
  id: string;
  name: string;
  dataset_id: string;
  dataset_version_id?: string;
  space_id?: string;
  created_at?: string;
}

/** A run as sent: `output` is a string; extra keys become run columns (eval.<name>.score, ...). */
export interface ArizeRunInput {
  example_id: string;
  output: string;
  [column: string]: unknown;
}

/** A run as listed back: what was sent, plus its id. */
export interface ArizeRun extends ArizeRunInput {
  id: string;
}

export interface Page<T> {
  items: T[];
  /** Null when there is no further page. */
  nextCursor: string | null;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface ArizeClient {
  /** By id, or by exact name (the API filters by substring: pages are scanned; two exact matches are refused). */
  resolveSpace(nameOrId: string, opts?: CallOptions): Promise<ArizeSpace>;
  resolveDataset(ref: { dataset: string; space?: string }, opts?: CallOptions): Promise<ArizeDataset>;
  listExamples(datasetId: string, page: { versionId?: string; cursor?: string | null; limit?: number }, opts?: CallOptions): Promise<Page<ArizeExample>>;
  /** The experiment of exactly this name on the dataset, if any. */
  findExperiment(datasetId: string, name: string, opts?: CallOptions): Promise<ArizeExperiment | undefined>;
  getExperiment(experimentId: string, opts?: CallOptions): Promise<ArizeExperiment>;
  /** Creates with 1..1000 runs (the API refuses empty experiments); 409 when the name exists. */
  createExperiment(body: { name: string; datasetId: string; runs: ArizeRunInput[] }, opts?: CallOptions): Promise<ArizeExperiment>;
  /** Appends 1..1000 runs; returns their ids in input order. */
  appendRuns(experimentId: string, runs: ArizeRunInput[], opts?: CallOptions): Promise<{ runIds: string[] }>;
  listRuns(experimentId: string, page: { cursor?: string | null; limit?: number }, opts?: CallOptions): Promise<Page<ArizeRun>>;
}
