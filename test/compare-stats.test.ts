/** The statistics of `dxp compare` as pure functions, on runs built with known answers. */
import { mulberry32, pairedBootstrap } from '../client/compare/bootstrap';
import { compareExperiments } from '../client/compare/compare';
import { quantile, spread } from '../client/compare/distribution';
import { formatComparison } from '../client/compare/format';
import type { AgentStats, EvaluatorOutcome, RunRecord } from '../core/records';

function run(exampleId: string, evaluations: Record<string, EvaluatorOutcome>, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    exampleId,
    repetition: 1,
    output: null,
    evaluations,
    steps: [],
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 100,
    workflowId: `experiment/x/example/${exampleId}/rep/${extra.repetition ?? 1}`,
    ...extra,
  };
}

/** Runs with one `q` score each, example ids e1..en. */
function scored(scores: number[], name = 'q'): RunRecord[] {
  return scores.map((score, i) => run(`e${i + 1}`, { [name]: { score } }));
}

/** Scores spread over [0, 0.8], so a shift of 0.2 keeps them in [0, 1]. */
const SPREAD = Array.from({ length: 40 }, (_, i) => ((i * 7) % 9) / 10);

test('the PRNG is deterministic per seed, different across seeds, and uniform in [0, 1)', () => {
  const take = (seed: number) => {
    const r = mulberry32(seed);
    return Array.from({ length: 1000 }, () => r());
  };
  expect(take(42)).toEqual(take(42));
  expect(take(42)).not.toEqual(take(43));
  const values = take(7);
  expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
  expect(Math.max(...values)).toBeLessThan(1);
  expect(values.reduce((s, v) => s + v, 0) / values.length).toBeGreaterThan(0.45);
  expect(values.reduce((s, v) => s + v, 0) / values.length).toBeLessThan(0.55);
});

test('the bootstrap gives the same interval for the same seed, and another for another seed', () => {
  const diffs = SPREAD.map((s) => s - 0.4);
  const first = pairedBootstrap(diffs, { seed: 5 });
  expect(pairedBootstrap(diffs, { seed: 5 })).toEqual(first);
  expect(pairedBootstrap(diffs, { seed: 6 })).not.toEqual(first);
  expect(first).toMatchObject({ level: 0.95, resamples: 2000, seed: 5 });
  expect(pairedBootstrap([])).toBeNull();
  // Constant differences have no spread: the interval is that constant.
  expect(pairedBootstrap([0.25, 0.25, 0.25])).toMatchObject({ low: 0.25, high: 0.25 });
});

test('the bootstrap interval is near the normal approximation of the mean difference', () => {
  const diffs = SPREAD.map((s) => s - 0.35);
  const n = diffs.length;
  const m = diffs.reduce((s, d) => s + d, 0) / n;
  const sd = Math.sqrt(diffs.reduce((s, d) => s + (d - m) ** 2, 0) / n);
  const ci = pairedBootstrap(diffs)!;
  expect(ci.low).toBeLessThan(m);
  expect(ci.high).toBeGreaterThan(m);
  // ±1.96 standard errors, within 20% of the half-width.
  const half = (1.96 * sd) / Math.sqrt(n);
  expect(Math.abs(ci.high - ci.low - 2 * half)).toBeLessThan(0.2 * 2 * half);
});

test('identical experiments: difference 0, an interval that contains 0, no flips, no regression', () => {
  const runs = scored(SPREAD);
  const c = compareExperiments({ name: 'a', runs }, { name: 'b', runs });
  const q = c.evaluators[0]!;
  expect(q).toMatchObject({ name: 'q', paired: 40, difference: 0, regressed: false, flips: { regressed: [], fixed: [] } });
  expect(q.interval!.low).toBeLessThanOrEqual(0);
  expect(q.interval!.high).toBeGreaterThanOrEqual(0);
  expect(c.regression).toEqual({ found: false, reasons: [] });
});

test('a known shift up gives that difference and an interval above 0; a shift down is a regression', () => {
  const a = scored(SPREAD);
  // +0.2 on every example, with noise of ±0.05 that averages out.
  const up = scored(SPREAD.map((s, i) => s + 0.2 + (i % 2 ? 0.05 : -0.05)));
  const better = compareExperiments({ name: 'a', runs: a }, { name: 'b', runs: up }).evaluators[0]!;
  expect(better.difference).toBeCloseTo(0.2, 10);
  expect(better.interval!.low).toBeGreaterThan(0);
  expect(better.regressed).toBe(false);

  const worse = compareExperiments({ name: 'a', runs: up }, { name: 'b', runs: a });
  expect(worse.evaluators[0]!.difference).toBeCloseTo(-0.2, 10);
  expect(worse.evaluators[0]!.interval!.high).toBeLessThan(0);
  expect(worse.regression.found).toBe(true);
  expect(worse.regression.reasons[0]).toMatch(/^q: the 95% interval of b − a lies below 0/);
});

test('flips are exactly the examples that passed in a and failed in b, and back; the threshold decides', () => {
  const a = scored([1, 1, 0, 0, 1, 0.6]);
  const b = scored([1, 0, 1, 0, 0, 0.4]);
  const c = compareExperiments({ name: 'a', runs: a }, { name: 'b', runs: b });
  const q = c.evaluators[0]!;
  expect(q.flips.regressed.map((p) => p.exampleId)).toEqual(['e2', 'e5']);
  expect(q.flips.fixed.map((p) => p.exampleId)).toEqual(['e3']);
  expect(q.passRateA).toBeCloseTo(3 / 6);
  expect(q.passRateB).toBeCloseTo(2 / 6);
  const lower = compareExperiments({ name: 'a', runs: a }, { name: 'b', runs: b }, { passThreshold: 0.5 }).evaluators[0]!;
  expect(lower.flips.regressed.map((p) => p.exampleId)).toEqual(['e2', 'e5', 'e6']);
});

test('repetitions are averaged per example before pairing', () => {
  // e1 passes both repetitions in a, one of two in b: mean 0.5, failed at threshold 1.
  const a = [run('e1', { q: { score: 1 } }), run('e1', { q: { score: 1 } }, { repetition: 2 }), run('e2', { q: { score: 0 } })];
  const b = [run('e1', { q: { score: 1 } }), run('e1', { q: { score: 0 } }, { repetition: 2 }), run('e2', { q: { score: 0 } })];
  const c = compareExperiments({ name: 'a', runs: a }, { name: 'b', runs: b });
  const q = c.evaluators[0]!;
  expect(q.paired).toBe(2);
  expect(q.meanA).toBeCloseTo(0.5);
  expect(q.meanB).toBeCloseTo(0.25);
  expect(q.flips.regressed).toEqual([{ exampleId: 'e1', a: 1, b: 0.5 }]);
  expect(c.a).toMatchObject({ runs: 3, examples: 2 });
});

test('new and fixed task failures are per example; examples of one side only are left out and counted', () => {
  const a = [run('e1', {}), run('e2', {}, { error: 'boom' }), run('e3', {}), run('only-a', {})];
  const b = [run('e1', {}, { error: 'new' }), run('e2', {}), run('e3', {}), run('only-b', {}, { error: 'not paired' })];
  const c = compareExperiments({ name: 'a', runs: a }, { name: 'b', runs: b });
  expect(c.failures).toEqual({ newFailures: ['e1'], fixedFailures: ['e2'] });
  expect(c).toMatchObject({ commonExamples: 3, onlyInA: 1, onlyInB: 1 });
  expect(c.regression).toEqual({ found: true, reasons: ['1 new task failure'] });
});

test('latency is the mean, p50 and p95 of run durations; cost and tokens come from agent stats', () => {
  expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
  expect(spread([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 210])).toEqual({ count: 21, mean: 110, p50: 110, p95: 200 });
  const agent = (totalTokens: number, costUsd?: number): AgentStats => ({
    stopReason: 'answer', turns: 1, toolCalls: 0, toolErrors: 0, promptTokens: 0, completionTokens: totalTokens, totalTokens, models: ['m'], ...(costUsd !== undefined ? { costUsd } : {}),
  });
  const a = [run('e1', {}, { durationMs: 100, agent: agent(100, 0.01) }), run('e2', {}, { durationMs: 300, agent: agent(300, 0.03) })];
  const b = [run('e1', {}, { durationMs: 200, agent: agent(150, 0.02) }), run('e2', {}, { durationMs: 600, agent: agent(450, 0.04) })];
  const c = compareExperiments({ name: 'a', runs: a }, { name: 'b', runs: b });
  expect(c.latency.delta).toEqual({ mean: 200, p50: 200, p95: 290 });
  expect(c.cost!.delta.totalTokens).toBe(200);
  expect(c.cost!.delta.meanTokens).toBe(100);
  expect(c.cost!.delta.costUsd).toBeCloseTo(0.02, 10);
  expect(compareExperiments({ name: 'a', runs: [run('e1', {})] }, { name: 'b', runs: [run('e1', {})] }).cost).toBeUndefined();
});

test('an evaluator that gives labels and no scores is compared by label rates', () => {
  const a = [run('e1', { tone: { label: 'polite' } }), run('e2', { tone: { label: 'rude' } })];
  const b = [run('e1', { tone: { label: 'polite' } }), run('e2', { tone: { label: 'polite' } })];
  const tone = compareExperiments({ name: 'a', runs: a }, { name: 'b', runs: b }).evaluators[0]!;
  expect(tone).toMatchObject({ paired: 0, difference: null, interval: null, regressed: false, labelRatesA: { polite: 0.5, rude: 0.5 }, labelRatesB: { polite: 1 } });
});

test('the text output says what is paired, over how many examples, the flips and the verdict', () => {
  const a = scored([1, 1, 0, 1]);
  const b = scored([1, 0, 1, 1]);
  const text = formatComparison(compareExperiments({ name: 'base', runs: a }, { name: 'cand', runs: b }));
  expect(text).toContain('a: base (4 runs, 4 examples, 0 failed)');
  expect(text).toContain('4 examples in both; repetitions averaged per example');
  expect(text).toContain('95% CI (paired bootstrap, 2000 resamples)');
  expect(text).toMatch(/^q\s+4\s+0\.750\s+0\.750\s+0\.000\s+\[/m);
  expect(text).toContain('q: passed in a, failed in b (1): e2');
  expect(text).toContain('q: failed in a, passed in b (1): e3');
  expect(text).toContain('no regression');
});
