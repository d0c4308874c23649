/**
 * `dxp compare` as a pure function: two experiments' runs in, every number the command prints out.
 * Per evaluator, the scores are paired over the examples both experiments scored (repetitions
 * averaged first, see per-example.ts), and the difference b − a gets a paired bootstrap interval.
 * Higher scores are taken as better.
 */
import type { RunRecord } from '../../core/records';
import { pairedBootstrap, type BootstrapOptions, type Interval } from './bootstrap';
import { delta, mean, spread, type Spread } from './distribution';
import { DEFAULT_PASS_THRESHOLD, failureChanges, scoreFlips, type FailureChanges, type Flips, type PairedScore } from './flips';
import { evaluatorNames, isFailed, labelRates, perExample } from './per-example';

export interface ExperimentRuns {
  name: string;
  runs: readonly RunRecord[];
}

export interface CompareOptions extends BootstrapOptions {
  passThreshold?: number;
}

export interface EvaluatorComparison {
  name: string;
  /** Examples scored by this evaluator in both experiments: what the means, difference and interval are over. */
  paired: number;
  meanA: number | null;
  meanB: number | null;
  /** meanB − meanA (the mean of the paired differences). */
  difference: number | null;
  interval: Interval | null;
  /** Fraction of the paired examples that passed (score ≥ the threshold). */
  passRateA: number | null;
  passRateB: number | null;
  /** Set for an evaluator that gave labels and no scores: the fraction of runs per label. */
  labelRatesA?: Record<string, number>;
  labelRatesB?: Record<string, number>;
  flips: Flips;
  /** The whole interval lies below 0. */
  regressed: boolean;
}

export interface SideCounts {
  name: string;
  runs: number;
  examples: number;
  failedRuns: number;
}

export interface CostSide {
  /** Runs with agent stats. */
  runs: number;
  totalTokens: number;
  meanTokens: number | null;
  /** Sum over runs whose model had a price; null when none had. */
  costUsd: number | null;
}

export interface Comparison {
  a: SideCounts;
  b: SideCounts;
  /** Examples both experiments have. */
  commonExamples: number;
  onlyInA: number;
  onlyInB: number;
  passThreshold: number;
  evaluators: EvaluatorComparison[];
  failures: FailureChanges;
  /** Run durations (`durationMs`, every run, failed ones included). */
  latency: { a: Spread; b: Spread; delta: { mean: number | null; p50: number | null; p95: number | null } };
  /** Present when either experiment's runs have agent stats. */
  cost?: { a: CostSide; b: CostSide; delta: { totalTokens: number; meanTokens: number | null; costUsd: number | null } };
  /** What --fail-on-regression fails on: an evaluator's interval wholly below 0, or new task failures. */
  regression: { found: boolean; reasons: string[] };
}

export function compareExperiments(a: ExperimentRuns, b: ExperimentRuns, opts: CompareOptions = {}): Comparison {
  const threshold = opts.passThreshold ?? DEFAULT_PASS_THRESHOLD;
  const exA = perExample(a.runs);
  const exB = perExample(b.runs);
  const common = [...exA.keys()].filter((id) => exB.has(id));
  const names = [...new Set([...evaluatorNames(a.runs), ...evaluatorNames(b.runs)])].sort();
  const evaluators = names.map((name): EvaluatorComparison => {
    const pairs: PairedScore[] = [];
    for (const id of common) {
      const sa = exA.get(id)!.scores.get(name);
      const sb = exB.get(id)!.scores.get(name);
      if (sa !== undefined && sb !== undefined) pairs.push({ exampleId: id, a: sa, b: sb });
    }
    const meanA = mean(pairs.map((p) => p.a));
    const meanB = mean(pairs.map((p) => p.b));
    const interval = pairedBootstrap(pairs.map((p) => p.b - p.a), opts);
    const passRate = (side: 'a' | 'b') => mean(pairs.map((p) => (p[side] >= threshold ? 1 : 0)));
    const labelsOnly = pairs.length === 0;
    return {
      name,
      paired: pairs.length,
      meanA,
      meanB,
      difference: delta(meanA, meanB),
      interval,
      passRateA: passRate('a'),
      passRateB: passRate('b'),
      ...(labelsOnly ? { labelRatesA: labelRates(a.runs, name), labelRatesB: labelRates(b.runs, name) } : {}),
      flips: scoreFlips(pairs, threshold),
      regressed: interval !== null && interval.high < 0,
    };
  });
  const failures = failureChanges(exA, exB);
  const latA = spread(a.runs.map((r) => r.durationMs));
  const latB = spread(b.runs.map((r) => r.durationMs));
  const reasons = [
    ...evaluators.filter((e) => e.regressed).map((e) => `${e.name}: the ${pct(e.interval!.level)} interval of b − a lies below 0 (${fmt(e.interval!.low)} to ${fmt(e.interval!.high)})`),
    ...(failures.newFailures.length ? [`${failures.newFailures.length} new task failure${failures.newFailures.length === 1 ? '' : 's'}`] : []),
  ];
  return {
    a: sideCounts(a, exA.size),
    b: sideCounts(b, exB.size),
    commonExamples: common.length,
    onlyInA: exA.size - common.length,
    onlyInB: exB.size - common.length,
    passThreshold: threshold,
    evaluators,
    failures,
    latency: { a: latA, b: latB, delta: { mean: delta(latA.mean, latB.mean), p50: delta(latA.p50, latB.p50), p95: delta(latA.p95, latB.p95) } },
    ...costOf(a.runs, b.runs),
    regression: { found: reasons.length > 0, reasons },
  };
}

function sideCounts(side: ExperimentRuns, examples: number): SideCounts {
  return { name: side.name, runs: side.runs.length, examples, failedRuns: side.runs.filter(isFailed).length };
}

function costOf(a: readonly RunRecord[], b: readonly RunRecord[]): Pick<Comparison, 'cost'> {
  const ca = costSide(a);
  const cb = costSide(b);
  if (ca.runs === 0 && cb.runs === 0) return {};
  return { cost: { a: ca, b: cb, delta: { totalTokens: cb.totalTokens - ca.totalTokens, meanTokens: delta(ca.meanTokens, cb.meanTokens), costUsd: delta(ca.costUsd, cb.costUsd) } } };
}

function costSide(runs: readonly RunRecord[]): CostSide {
  const withAgent = runs.filter((r) => r.agent !== undefined);
  const priced = withAgent.filter((r) => r.agent!.costUsd !== undefined);
  const totalTokens = withAgent.reduce((s, r) => s + r.agent!.totalTokens, 0);
  return {
    runs: withAgent.length,
    totalTokens,
    meanTokens: withAgent.length ? totalTokens / withAgent.length : null,
    costUsd: priced.length ? priced.reduce((s, r) => s + r.agent!.costUsd!, 0) : null,
  };
}

function pct(level: number): string {
  return `${Math.round(level * 100)}%`;
}

function fmt(n: number): string {
  return n.toFixed(3);
}
