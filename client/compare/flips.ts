/**
 * Per-example changes between two experiments: evaluator flips (passed in a and failed in b, or
 * back) and task failures that are new in b or fixed in it. "Passed" is a score (the mean over the
 * example's repetitions) at or above the threshold, default 1: for 0/1 scores, every repetition passed.
 */
import type { ExampleResult } from './per-example';

export const DEFAULT_PASS_THRESHOLD = 1;

export interface PairedScore {
  exampleId: string;
  a: number;
  b: number;
}

export interface Flips {
  /** Passed in a, failed in b. */
  regressed: PairedScore[];
  /** Failed in a, passed in b. */
  fixed: PairedScore[];
}

export function scoreFlips(pairs: readonly PairedScore[], threshold = DEFAULT_PASS_THRESHOLD): Flips {
  const regressed: PairedScore[] = [];
  const fixed: PairedScore[] = [];
  for (const p of pairs) {
    const passedA = p.a >= threshold;
    const passedB = p.b >= threshold;
    if (passedA && !passedB) regressed.push(p);
    if (!passedA && passedB) fixed.push(p);
  }
  return { regressed: byId(regressed), fixed: byId(fixed) };
}

export interface FailureChanges {
  /** Examples of both experiments whose task failed in b (any repetition) and in no repetition of a. */
  newFailures: string[];
  /** Examples of both whose task failed in a and in no repetition of b. */
  fixedFailures: string[];
}

export function failureChanges(a: ReadonlyMap<string, ExampleResult>, b: ReadonlyMap<string, ExampleResult>): FailureChanges {
  const newFailures: string[] = [];
  const fixedFailures: string[] = [];
  for (const [id, inB] of b) {
    const inA = a.get(id);
    if (!inA) continue;
    if (inB.failedRuns > 0 && inA.failedRuns === 0) newFailures.push(id);
    if (inA.failedRuns > 0 && inB.failedRuns === 0) fixedFailures.push(id);
  }
  return { newFailures: newFailures.sort(compareIds), fixedFailures: fixedFailures.sort(compareIds) };
}

/** Example ids in a stable order: numeric parts by value (q2 before q10). */
export function compareIds(x: string, y: string): number {
  return x.localeCompare(y, 'en', { numeric: true });
}

function byId(pairs: PairedScore[]): PairedScore[] {
  return pairs.sort((x, y) => compareIds(x.exampleId, y.exampleId));
}
