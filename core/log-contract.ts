/**
 * Contract of the `logExperiment` workflow: uploads a results table made elsewhere (CSV, JSON,
 * JSONL, Parquet) to an Arize (or Phoenix) experiment through the same exactly-once upload as `experiment`.
 */
import type { ArizeUploadState, ResolvedDataset } from './records';
import type { ArizeDatasetSpec, LocalDatasetSpec, PhoenixDatasetSpec } from './spec';

export const LOG_WORKFLOW_TYPE = 'logExperiment';

export function logWorkflowId(name: string): string {
  return `log/${name}`;
}

/** Which columns of the table hold what. */
export interface ResultsMapping {
  /** Column with the Arize example id (default `example_id`), unless `match` is given. */
  exampleIdColumn?: string;
  /** Rows without example ids: find the example whose `datasetColumn` equals this row's `fileColumn`. */
  match?: { fileColumn: string; datasetColumn: string };
  outputColumn: string;
  errorColumn?: string;
  latencyColumn?: string;
  /** Several runs per example need this; rows repeating (example, repetition) are one run. */
  repetitionColumn?: string;
  evaluators: Record<string, EvaluatorColumns>;
}

export interface EvaluatorColumns {
  score?: string;
  label?: string;
  explanation?: string;
  /** metadata key → column */
  metadata?: Record<string, string>;
}

export interface LogInput {
  name: string;
  dataset: ArizeDatasetSpec | PhoenixDatasetSpec;
  /** The results table: a local file (an absolute path on the workers' machines). */
  file: LocalDatasetSpec;
  mapping: ResultsMapping;
  carried?: LogState;
}

/** The dataset a log's runs belong to: Arize's or Phoenix's, pinned to a version. */
export type LogSource = Extract<ResolvedDataset, { kind: 'arize' | 'phoenix' }>;

export interface LogState {
  source: LogSource;
  cursor: string | null;
  /** The upload's counters, Arize's or (for a Phoenix dataset) Phoenix's: the name predates Phoenix. */
  arize: ArizeUploadState;
  rows: number;
  rejected: number;
  /** First reasons rows were rejected, for the summary. */
  rejections: string[];
}

export interface LogResult {
  name: string;
  rows: number;
  rejected: number;
  rejections: string[];
  arize: ArizeUploadState;
}
