/**
 * An experiment's runs folded to one entry per example: each evaluator's score is the mean over
 * the example's repetitions that have one, so an example counts once however many times it ran.
 * Rows stored beside an earlier row of the same id (`duplicateRow`) never ran and are left out.
 */
import type { RunRecord } from '../../core/records';

export interface ExampleResult {
  exampleId: string;
  /** Repetitions of the example. */
  runs: number;
  /** Repetitions whose task failed (the run has `error`). */
  failedRuns: number;
  /** Evaluator → mean score over the repetitions that produced a score. */
  scores: Map<string, number>;
}

export function perExample(runs: readonly RunRecord[]): Map<string, ExampleResult> {
  const sums = new Map<string, { result: ExampleResult; sums: Map<string, { sum: number; n: number }> }>();
  for (const run of runs) {
    if (run.duplicateRow !== undefined) continue;
    let entry = sums.get(run.exampleId);
    if (!entry) {
      entry = { result: { exampleId: run.exampleId, runs: 0, failedRuns: 0, scores: new Map() }, sums: new Map() };
      sums.set(run.exampleId, entry);
    }
    entry.result.runs++;
    if (isFailed(run)) entry.result.failedRuns++;
    for (const [name, outcome] of Object.entries(run.evaluations ?? {})) {
      if (typeof outcome.score !== 'number' || !Number.isFinite(outcome.score)) continue;
      const s = entry.sums.get(name) ?? { sum: 0, n: 0 };
      s.sum += outcome.score;
      s.n++;
      entry.sums.set(name, s);
    }
  }
  const out = new Map<string, ExampleResult>();
  for (const [id, { result, sums: byName }] of sums) {
    for (const [name, s] of byName) result.scores.set(name, s.sum / s.n);
    out.set(id, result);
  }
  return out;
}

export function isFailed(run: RunRecord): boolean {
  return run.error !== undefined && run.error !== null;
}

/** Evaluator names of the runs, sorted. */
export function evaluatorNames(runs: readonly RunRecord[]): string[] {
  const names = new Set<string>();
  for (const run of runs) for (const name of Object.keys(run.evaluations ?? {})) names.add(name);
  return [...names].sort();
}

/** Fraction of runs per label (for evaluators that give labels and no scores). */
export function labelRates(runs: readonly RunRecord[], evaluator: string): Record<string, number> {
  const counts = new Map<string, number>();
  let total = 0;
  for (const run of runs) {
    const label = run.evaluations?.[evaluator]?.label;
    if (run.duplicateRow !== undefined || typeof label !== 'string') continue;
    counts.set(label, (counts.get(label) ?? 0) + 1);
    total++;
  }
  return Object.fromEntries([...counts].sort(([x], [y]) => x.localeCompare(y)).map(([label, n]) => [label, n / total]));
}
