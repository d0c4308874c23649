/**
 * Computes an experiment summary from its runs, one run at a time.
 * Pure (no I/O), so every sink can feed it from wherever its runs live.
 */
import { runKey, type AgentTotals, type EvaluatorSummary, type ExperimentSummary, type RunRecord } from '../../workflows/records';

/** Failures listed in a summary; the rest are only counted. */
export const MAX_LISTED_FAILURES = 50;

/** Summary fields that do not come from the runs. */
export type SummaryInfo = Pick<
  ExperimentSummary,
  'experimentId' | 'name' | 'status' | 'location' | 'startedAt' | 'finishedAt'
>;

interface EvaluatorTally {
  scoreSum: number;
  scored: number;
  labels: Map<string, number>;
  errors: number;
}

export interface SummaryBuilder {
  add(run: RunRecord): void;
  finish(info: SummaryInfo): ExperimentSummary;
}

/** Incremental form, for runs that arrive as a stream. */
export function createSummaryBuilder(): SummaryBuilder {
  // A run key seen twice (e.g. two processes raced on one batch) counts once.
  const seen = new Set<string>();
  // Maps, not objects: evaluator names and labels are user data ('__proto__' included).
  const evaluators = new Map<string, EvaluatorTally>();
  const failures: ExperimentSummary['failures'] = [];
  let runs = 0;
  let failed = 0;
  let agent: AgentTotals | undefined;

  function tally(column: string): EvaluatorTally {
    let t = evaluators.get(column);
    if (!t) {
      t = { scoreSum: 0, scored: 0, labels: new Map(), errors: 0 };
      evaluators.set(column, t);
    }
    return t;
  }

  return {
    add(run) {
      const key = runKey(run);
      if (seen.has(key)) return;
      seen.add(key);
      runs++;
      if (run.error !== undefined && run.error !== null) {
        failed++;
        if (failures.length < MAX_LISTED_FAILURES) {
          failures.push({ exampleId: run.exampleId, repetition: run.repetition, error: String(run.error) });
        }
      }
      if (run.agent) {
        agent ??= { turns: 0, toolCalls: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0 };
        agent.turns += run.agent.turns;
        agent.toolCalls += run.agent.toolCalls;
        agent.promptTokens += run.agent.promptTokens;
        agent.completionTokens += run.agent.completionTokens;
        agent.totalTokens += run.agent.totalTokens;
        if (run.agent.costUsd !== undefined) agent.costUsd = Math.round(((agent.costUsd ?? 0) + run.agent.costUsd) * 1e10) / 1e10;
      }
      for (const [column, outcome] of Object.entries(run.evaluations ?? {})) {
        const t = tally(column);
        if (typeof outcome.score === 'number' && Number.isFinite(outcome.score)) {
          t.scoreSum += outcome.score;
          t.scored++;
        }
        if (typeof outcome.label === 'string' && outcome.label !== '') {
          t.labels.set(outcome.label, (t.labels.get(outcome.label) ?? 0) + 1);
        }
        if (outcome.error !== undefined && outcome.error !== null) t.errors++;
      }
    },
    finish(info) {
      const perEvaluator: [string, EvaluatorSummary][] = [...evaluators].map(([column, t]) => [
        column,
        {
          meanScore: t.scored > 0 ? t.scoreSum / t.scored : null,
          scored: t.scored,
          labels: Object.fromEntries(t.labels),
          errors: t.errors,
        },
      ]);
      return {
        experimentId: info.experimentId,
        name: info.name,
        status: info.status,
        runs,
        succeeded: runs - failed,
        failed,
        evaluators: Object.fromEntries(perEvaluator),
        failures: [...failures],
        failuresTruncated: failed > failures.length,
        ...(agent ? { agent: { ...agent } } : {}),
        location: info.location,
        startedAt: info.startedAt,
        finishedAt: info.finishedAt,
      };
    },
  };
}

/** Summary of runs already in memory. */
export function summarizeRuns(runs: Iterable<RunRecord>, info: SummaryInfo): ExperimentSummary {
  const builder = createSummaryBuilder();
  for (const run of runs) builder.add(run);
  return builder.finish(info);
}
