/**
 * An experiment's summary as plain data, added to one run at a time: counts, per-evaluator score
 * sums and label counts, agent totals and the first failures. The experiment workflow keeps one
 * in its state (carried across continue-as-new), so its result is right whatever the number of
 * workers and whichever disk each stored its runs on; the local store's summary uses the same code.
 *
 * Pure and JSON-safe (it travels in workflow history): user-named things (evaluator columns,
 * labels) are kept in arrays of pairs, never as object keys ('__proto__' is a label like any).
 */
import type { AgentTotals, EvaluatorSummary, ExperimentSummary, RunRecord } from './records';

/** Failures listed in a summary; the rest are only counted. */
export const MAX_LISTED_FAILURES = 50;
/** A listed failure's reason is cut here, so the tally stays small in workflow history. */
const MAX_REASON_CHARS = 2_000;

export interface EvaluatorTally {
  column: string;
  scoreSum: number;
  scored: number;
  labels: [label: string, count: number][];
  errors: number;
}

export interface SummaryTally {
  runs: number;
  failed: number;
  evaluators: EvaluatorTally[];
  failures: ExperimentSummary['failures'];
  agent?: AgentTotals;
}

/** Summary fields that do not come from the runs. */
export type SummaryInfo = Pick<ExperimentSummary, 'experimentId' | 'name' | 'status' | 'location' | 'startedAt' | 'finishedAt'>;

export function emptyTally(): SummaryTally {
  return { runs: 0, failed: 0, evaluators: [], failures: [] };
}

/** Counts one run (the caller makes sure each run is added once). */
export function addRun(tally: SummaryTally, run: RunRecord): void {
  tally.runs++;
  if (run.error !== undefined && run.error !== null) {
    tally.failed++;
    if (tally.failures.length < MAX_LISTED_FAILURES) {
      tally.failures.push({ exampleId: run.exampleId, repetition: run.repetition, error: cut(String(run.error)) });
    }
  }
  if (run.agent) {
    const agent = (tally.agent ??= { turns: 0, toolCalls: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0 });
    agent.turns += run.agent.turns;
    agent.toolCalls += run.agent.toolCalls;
    agent.promptTokens += run.agent.promptTokens;
    agent.completionTokens += run.agent.completionTokens;
    agent.totalTokens += run.agent.totalTokens;
    if (run.agent.costUsd !== undefined) agent.costUsd = Math.round(((agent.costUsd ?? 0) + run.agent.costUsd) * 1e10) / 1e10;
  }
  for (const [column, outcome] of Object.entries(run.evaluations ?? {})) {
    let t = tally.evaluators.find((e) => e.column === column);
    if (!t) {
      t = { column, scoreSum: 0, scored: 0, labels: [], errors: 0 };
      tally.evaluators.push(t);
    }
    if (typeof outcome.score === 'number' && Number.isFinite(outcome.score)) {
      t.scoreSum += outcome.score;
      t.scored++;
    }
    if (typeof outcome.label === 'string' && outcome.label !== '') {
      const label = t.labels.find(([l]) => l === outcome.label);
      if (label) label[1]++;
      else t.labels.push([outcome.label, 1]);
    }
    if (outcome.error !== undefined && outcome.error !== null) t.errors++;
  }
}

export function summaryOf(tally: SummaryTally, info: SummaryInfo): ExperimentSummary {
  const evaluators: [string, EvaluatorSummary][] = tally.evaluators.map((t) => [
    t.column,
    { meanScore: t.scored > 0 ? t.scoreSum / t.scored : null, scored: t.scored, labels: Object.fromEntries(t.labels), errors: t.errors },
  ]);
  return {
    experimentId: info.experimentId,
    name: info.name,
    status: info.status,
    runs: tally.runs,
    succeeded: tally.runs - tally.failed,
    failed: tally.failed,
    evaluators: Object.fromEntries(evaluators),
    failures: tally.failures.map((f) => ({ ...f })),
    failuresTruncated: tally.failed > tally.failures.length,
    ...(tally.agent ? { agent: { ...tally.agent } } : {}),
    location: info.location,
    startedAt: info.startedAt,
    finishedAt: info.finishedAt,
  };
}

function cut(reason: string): string {
  return reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason;
}
