/** A comparison as text for the terminal: one table of evaluators, then flips, failures, latency and cost. */
import type { Comparison, EvaluatorComparison } from './compare';

/** Ids listed per flip or failure line; the rest are counted (`--json` has them all). */
const MAX_LISTED = 20;

export function formatComparison(c: Comparison): string {
  const lines: string[] = [];
  lines.push(`a: ${c.a.name} (${c.a.runs} runs, ${c.a.examples} examples, ${c.a.failedRuns} failed)`);
  lines.push(`b: ${c.b.name} (${c.b.runs} runs, ${c.b.examples} examples, ${c.b.failedRuns} failed)`);
  lines.push(`${c.commonExamples} examples in both${c.onlyInA || c.onlyInB ? ` (${c.onlyInA} only in a, ${c.onlyInB} only in b, left out)` : ''}; repetitions averaged per example`);
  lines.push('');
  const level = c.evaluators.find((e) => e.interval)?.interval;
  const ciHead = level ? `${Math.round(level.level * 100)}% CI (paired bootstrap, ${level.resamples} resamples)` : 'CI';
  const header = ['evaluator', 'paired', 'mean a', 'mean b', 'b − a', ciHead, `pass a`, `pass b`, ''];
  const rows = c.evaluators.map((e) => [
    e.name,
    String(e.paired),
    num(e.meanA),
    num(e.meanB),
    signed(e.difference),
    e.interval ? `[${signed(e.interval.low)}, ${signed(e.interval.high)}]` : '-',
    rate(e.passRateA),
    rate(e.passRateB),
    e.regressed ? 'REGRESSION' : '',
  ]);
  lines.push(...table(header, rows));
  for (const e of c.evaluators.filter((x) => x.labelRatesA)) lines.push(`  ${e.name} (labels only): a ${labels(e.labelRatesA!)}; b ${labels(e.labelRatesB!)}`);
  lines.push(`pass: score ≥ ${c.passThreshold} (the example's mean over its repetitions)`);
  lines.push('');
  for (const e of c.evaluators) lines.push(...flipLines(e));
  lines.push(`new task failures in b: ${ids(c.failures.newFailures)}`);
  lines.push(`task failures fixed in b: ${ids(c.failures.fixedFailures)}`);
  lines.push('');
  const l = c.latency;
  lines.push(`latency (ms)   mean ${ms(l.a.mean)} → ${ms(l.b.mean)} (${signedMs(l.delta.mean)}), p50 ${ms(l.a.p50)} → ${ms(l.b.p50)} (${signedMs(l.delta.p50)}), p95 ${ms(l.a.p95)} → ${ms(l.b.p95)} (${signedMs(l.delta.p95)})`);
  if (c.cost) {
    const k = c.cost;
    lines.push(`tokens         total ${k.a.totalTokens} → ${k.b.totalTokens} (${signedInt(k.delta.totalTokens)}), per run ${num(k.a.meanTokens, 1)} → ${num(k.b.meanTokens, 1)}`);
    if (k.a.costUsd !== null || k.b.costUsd !== null) lines.push(`cost (USD)     ${usd(k.a.costUsd)} → ${usd(k.b.costUsd)} (${k.delta.costUsd === null ? '-' : signed(k.delta.costUsd, 4)})`);
  }
  lines.push('');
  lines.push(c.regression.found ? `regression: ${c.regression.reasons.join('; ')}` : 'no regression (no interval wholly below 0, no new task failures)');
  return lines.join('\n');
}

function flipLines(e: EvaluatorComparison): string[] {
  return [
    `${e.name}: passed in a, failed in b (${e.flips.regressed.length}): ${ids(e.flips.regressed.map((p) => p.exampleId))}`,
    `${e.name}: failed in a, passed in b (${e.flips.fixed.length}): ${ids(e.flips.fixed.map((p) => p.exampleId))}`,
  ];
}

function ids(list: readonly string[]): string {
  if (list.length === 0) return 'none';
  const shown = list.slice(0, MAX_LISTED).join(', ');
  return list.length > MAX_LISTED ? `${shown}, … (${list.length - MAX_LISTED} more)` : shown;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

function num(n: number | null, digits = 3): string {
  return n === null ? '-' : n.toFixed(digits);
}

function signed(n: number | null, digits = 3): string {
  if (n === null) return '-';
  const text = n.toFixed(digits);
  return n > 0 && Number(text) !== 0 ? `+${text}` : text.replace(/^-(0\.0+)$/, '$1');
}

function signedInt(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function rate(n: number | null): string {
  return n === null ? '-' : `${(n * 100).toFixed(1)}%`;
}

function ms(n: number | null): string {
  return n === null ? '-' : String(Math.round(n));
}

function signedMs(n: number | null): string {
  return n === null ? '-' : signedInt(Math.round(n));
}

function usd(n: number | null): string {
  return n === null ? '-' : n.toFixed(4);
}

function labels(rates: Record<string, number>): string {
  const entries = Object.entries(rates);
  return entries.length ? entries.map(([l, r]) => `${l} ${rate(r)}`).join(', ') : 'none';
}
