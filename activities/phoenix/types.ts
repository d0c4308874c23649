/**
 * What the pipeline needs from Phoenix (REST v1), as an interface: the undici client implements
 * it; the dataset source and the experiment upload use it. Field names follow the API.
 */

export interface PhoenixDataset {
  id: string;
  name: string;
}

export interface PhoenixExample {
  id: string;
  input: Record<string, unknown>;
  output: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface PhoenixExperiment {
  id: string;
  name: string;
  dataset_id: string;
  dataset_version_id: string;
  metadata: Record<string, unknown>;
  created_at?: string;
}

/** A run as sent (POST /v1/experiments/{id}/runs). */
export interface PhoenixRunInput {
  dataset_example_id: string;
  output: unknown;
  repetition_number: number;
  start_time: string;
  end_time: string;
  error?: string;
  trace_id?: string;
}

/** A run as listed back. */
export interface PhoenixRun {
  id: string;
  dataset_example_id: string;
  repetition_number: number;
  output: unknown;
  error?: string | null;
  trace_id?: string | null;
}

/** An evaluation as sent (POST /v1/experiment_evaluations): Phoenix keeps one per (run, name). */
export interface PhoenixEvaluationInput {
  experiment_run_id: string;
  name: string;
  annotator_kind: 'CODE' | 'LLM';
  start_time: string;
  end_time: string;
  result?: { score?: number; label?: string; explanation?: string };
  error?: string;
  metadata?: Record<string, unknown>;
  trace_id?: string;
}

/** A run as Phoenix exports it (GET /v1/experiments/{id}/json). */
export interface PhoenixExportedRun {
  example_id: string;
  repetition_number: number;
  input: unknown;
  reference_output: unknown;
  output: unknown;
  error?: string | null;
  latency_ms?: number | null;
  start_time: string;
  end_time: string;
  trace_id?: string | null;
  annotations: { name: string; score?: number | null; label?: string | null; explanation?: string | null; error?: string | null }[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface PhoenixClient {
  /** By id (a Phoenix GlobalID), or by exact name; none or several is a non-retryable error. */
  resolveDataset(nameOrId: string, opts?: CallOptions): Promise<PhoenixDataset>;
  /** Version ids, newest first (all pages). */
  listVersions(datasetId: string, opts?: CallOptions): Promise<string[]>;
  /** Every example of the version: the endpoint does not page. */
  listExamples(datasetId: string, versionId: string, opts?: CallOptions): Promise<PhoenixExample[]>;
  listExperiments(datasetId: string, opts?: CallOptions): Promise<PhoenixExperiment[]>;
  /** Every project (the trace projects), id and name: Phoenix's UI addresses a project by its id. */
  listProjects(opts?: CallOptions): Promise<Array<{ id: string; name: string }>>;
  /** Not retried by the client: a create whose answer was lost is found by listing. */
  createExperiment(
    datasetId: string,
    body: { name: string; versionId: string; repetitions: number; metadata: Record<string, unknown> },
    opts?: CallOptions,
  ): Promise<PhoenixExperiment>;
  /** The new run's id, or `'exists'` when Phoenix holds a successful run of that example and repetition (409). */
  createRun(experimentId: string, run: PhoenixRunInput, opts?: CallOptions): Promise<{ id: string } | 'exists'>;
  listRuns(experimentId: string, opts?: CallOptions): Promise<PhoenixRun[]>;
  getExperiment(experimentId: string, opts?: CallOptions): Promise<PhoenixExperiment>;
  /** Every run with its example's input and reference output and its evaluations (one body). */
  exportRuns(experimentId: string, opts?: CallOptions): Promise<PhoenixExportedRun[]>;
  /** Upserts by (run, name). */
  upsertEvaluation(evaluation: PhoenixEvaluationInput, opts?: CallOptions): Promise<{ id: string }>;
}
