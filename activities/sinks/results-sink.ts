/**
 * What every results store implements: the local files (one machine) and PostgreSQL (shared by
 * every worker). Storage-neutral on purpose: no paths, files or SQL appear here.
 */
import type { ExperimentSummary, RunRecord } from '../../core/records';

export interface ExperimentMeta {
  experimentId: string;
  name: string;
  spec: unknown;
  startedAt: string;
  workflowId: string;
  /** Set when a worker other than the preparing one opened it (its store has only the runs it recorded; no spec). */
  openedBy?: 'recordRuns';
}

export interface AppendResult {
  /** Runs stored by this call. */
  added: number;
  /** Runs already stored (or repeated inside the batch), left out. */
  skipped: number;
  /** Runs stored for the experiment after this call. */
  total: number;
}

export interface ResultsSink {
  /** Creates the experiment's record, or reopens it unchanged if it exists (safe to call on every retry). */
  open(meta: ExperimentMeta): Promise<void>;
  /** Stores runs; a run whose runKey is already stored is skipped, so a retried or repeated batch never duplicates. */
  append(experimentId: string, runs: RunRecord[]): Promise<AppendResult>;
  /** Computes the summary from what is stored and persists it. */
  summarize(experimentId: string, status: ExperimentSummary['status'], finishedAt: string): Promise<ExperimentSummary>;
  /** Every stored run, in the order stored. */
  readRuns(experimentId: string): AsyncIterable<RunRecord>;
}

/** A sink a worker or the CLI opens from its configuration (activities/sinks/store-config.ts). */
export interface ResultsStore extends ResultsSink {
  /**
   * Names the store, the same on every process that shares it (the database, or this machine's
   * folder): a worker whose store differs from the experiment's refuses its runs.
   */
  readonly identity: string;
  /** Where an experiment's runs are, for people: a folder, or the database without credentials. */
  locationOf(experimentId: string): string;
  readMeta(experimentId: string): Promise<ExperimentMeta>;
  close(): Promise<void>;
}
