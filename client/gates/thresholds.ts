/**
 * CI gates on a finished experiment: `--fail-under <evaluator>=<min mean score>` (repeatable) and
 * `--max-failures <n>` (runs whose task failed). Parsed and checked against the spec before
 * anything starts; judged on the summary once the experiment is done. Pure: no I/O.
 */
import type { ExperimentSummary } from '../../core/records';

export interface GateOptions {
  /** `<evaluator>=<number>`, as given on the command line. */
  failUnder?: string[];
  maxFailures?: string;
  junit?: string;
  summary?: string;
}

export interface Gates {
  minScores: Array<{ evaluator: string; min: number }>;
  maxFailures?: number;
}

export interface GateResult {
  gate: string;
  /** e.g. `≥ 0.9`. */
  expected: string;
  /** What the experiment came to, e.g. `0.85`, or `no scores`. */
  actual: string;
  passed: boolean;
}

export class GateError extends Error {
  override readonly name = 'GateError';
}

/**
 * Parses the gate flags; `evaluators` are the spec's columns, so a typo is refused before the run
 * (left out when they are not known yet: `dxp result` checks them against the summary).
 */
export function parseGates(opts: GateOptions, evaluators?: readonly string[]): Gates {
  const minScores = (opts.failUnder ?? []).map((value) => {
    const at = value.lastIndexOf('=');
    const evaluator = at > 0 ? value.slice(0, at).trim() : '';
    const raw = at > 0 ? value.slice(at + 1).trim() : '';
    if (!evaluator || raw === '') throw new GateError(`--fail-under ${JSON.stringify(value)}: expected <evaluator>=<minimum mean score>, e.g. exact-match=0.9`);
    const min = Number(raw);
    if (!Number.isFinite(min)) throw new GateError(`--fail-under ${evaluator}=${raw}: the minimum must be a number`);
    if (evaluators) requireEvaluator(evaluator, evaluators);
    return { evaluator, min };
  });
  const seen = new Set<string>();
  for (const { evaluator } of minScores) {
    if (seen.has(evaluator)) throw new GateError(`--fail-under ${evaluator} is given twice`);
    seen.add(evaluator);
  }
  let maxFailures: number | undefined;
  if (opts.maxFailures !== undefined) {
    maxFailures = Number(opts.maxFailures);
    if (!Number.isInteger(maxFailures) || maxFailures < 0) throw new GateError(`--max-failures ${opts.maxFailures}: expected a whole number ≥ 0`);
  }
  return { minScores, ...(maxFailures !== undefined ? { maxFailures } : {}) };
}

export function requireEvaluator(evaluator: string, evaluators: readonly string[]): void {
  if (!evaluators.includes(evaluator)) {
    throw new GateError(`--fail-under ${evaluator}: the experiment has no evaluator '${evaluator}' (it has: ${evaluators.join(', ') || 'none'})`);
  }
}

export function hasGates(gates: Gates): boolean {
  return gates.minScores.length > 0 || gates.maxFailures !== undefined;
}

/** Each gate against the summary. A mean over no scores fails: a gate nobody could pass is not passed. */
export function judgeGates(gates: Gates, summary: ExperimentSummary): GateResult[] {
  const results: GateResult[] = gates.minScores.map(({ evaluator, min }) => {
    const mean = summary.evaluators[evaluator]?.meanScore ?? null;
    return { gate: `${evaluator} mean score`, expected: `≥ ${min}`, actual: mean === null ? 'no scores' : formatNumber(mean), passed: mean !== null && mean >= min };
  });
  if (gates.maxFailures !== undefined) {
    results.push({ gate: 'failed runs', expected: `≤ ${gates.maxFailures}`, actual: String(summary.failed), passed: summary.failed <= gates.maxFailures });
  }
  return results;
}

export function formatGates(results: GateResult[]): string {
  const header = ['gate', 'threshold', 'actual', 'result'];
  const rows = results.map((r) => [r.gate, r.expected, r.actual, r.passed ? 'pass' : 'FAIL']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  const failed = results.filter((r) => !r.passed).length;
  return [`CI gates: ${failed === 0 ? 'all passed' : `${failed} of ${results.length} failed`}`, line(header), ...rows.map(line)].join('\n');
}

export function formatNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(4).replace(/0+$/, '');
}

/** The experiment's wall time, start to finish. */
export function wallMs(summary: Pick<ExperimentSummary, 'startedAt' | 'finishedAt'>): number {
  return Math.max(0, Date.parse(summary.finishedAt) - Date.parse(summary.startedAt));
}
