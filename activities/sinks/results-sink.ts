/**
 * What every results sink implements: the local store now, an Arize AX sink later.
 * Storage-neutral on purpose: no paths or files appear here.
 */
import type { ExperimentSummary, RunRecord } from '../../workflows/records';

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
