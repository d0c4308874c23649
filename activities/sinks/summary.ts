/**
 * Computes an experiment summary from its runs, one run at a time, with the same tally the
 * experiment workflow keeps (core/summary-tally.ts). Pure (no I/O), so every sink can feed it
 * from wherever its runs live; a run key seen twice (two processes raced on one batch) counts once.
 */
import { runKey, type ExperimentSummary, type RunRecord } from '../../core/records';
import { addRun, emptyTally, summaryOf, type SummaryInfo } from '../../core/summary-tally';

export { MAX_LISTED_FAILURES, type SummaryInfo } from '../../core/summary-tally';

export interface SummaryBuilder {
  add(run: RunRecord): void;
  finish(info: SummaryInfo): ExperimentSummary;
}

/** Incremental form, for runs that arrive as a stream. */
export function createSummaryBuilder(): SummaryBuilder {
  const seen = new Set<string>();
  const tally = emptyTally();
  return {
    add(run) {
      const key = runKey(run);
      if (seen.has(key)) return;
      seen.add(key);
      addRun(tally, run);
    },
    finish: (info) => summaryOf(tally, info),
  };
}

/** Summary of runs already in memory. */
export function summarizeRuns(runs: Iterable<RunRecord>, info: SummaryInfo): ExperimentSummary {
  const builder = createSummaryBuilder();
  for (const run of runs) builder.add(run);
  return builder.finish(info);
}
