/** The report's tables as HTML: summary, evaluator comparison, flips, failures, slowest and most expensive runs. */
import type { RunRecord } from '../../core/records';
import type { Comparison } from '../compare/compare';
import { mean } from '../compare/distribution';
import { evaluatorNames, isFailed } from '../compare/per-example';
import { escapeHtml as e, safeHref } from './escape';
import type { ReportLinks } from './links';

export const TOP_RUNS = 10;

export function summaryTable(sides: { name: string; runs: readonly RunRecord[] }[]): string {
  const names = [...new Set(sides.flatMap((s) => evaluatorNames(s.runs)))].sort();
  const head = ['experiment', 'runs', 'succeeded', 'failed', ...names.map((n) => `mean ${n}`)];
  const rows = sides.map((s) => {
    const failed = s.runs.filter(isFailed).length;
    const means = names.map((n) => num(mean(s.runs.flatMap((r) => (typeof r.evaluations?.[n]?.score === 'number' ? [r.evaluations[n]!.score!] : []))), 3));
    return [e(s.name), String(s.runs.length), String(s.runs.length - failed), String(failed), ...means];
  });
  return table('summary', head.map(e), rows);
}

export function comparisonTable(c: Comparison): string {
  const rows = c.evaluators.map((x) => [
    e(x.name),
    String(x.paired),
    num(x.meanA, 3),
    num(x.meanB, 3),
    num(x.difference, 3),
    x.interval ? `${num(x.interval.low, 3)} to ${num(x.interval.high, 3)}` : '–',
    x.regressed ? '<strong class="bad">below 0</strong>' : '',
  ]);
  const level = c.evaluators.find((x) => x.interval)?.interval;
  const ci = level ? `${Math.round(level.level * 100)}% CI of b − a (paired bootstrap, ${level.resamples} resamples)` : 'CI of b − a';
  return table('comparison', ['evaluator', 'paired examples', 'mean a', 'mean b', 'b − a', e(ci), ''], rows);
}

export function flipsTable(c: Comparison): string {
  const rows: string[][] = [];
  const attrs: string[] = [];
  for (const x of c.evaluators) {
    for (const [direction, list, text] of [['regressed', x.flips.regressed, 'passed in a, failed in b'], ['fixed', x.flips.fixed, 'failed in a, passed in b']] as const) {
      for (const p of list) {
        rows.push([e(x.name), e(p.exampleId), num(p.a, 3), num(p.b, 3), text]);
        attrs.push(`class="flip ${direction}" data-direction="${direction}" data-evaluator="${e(x.name)}" data-example="${e(p.exampleId)}"`);
      }
    }
  }
  if (rows.length === 0) return `<p id="flips" class="none">No flips (pass: score ≥ ${c.passThreshold}).</p>`;
  return table('flips', ['evaluator', 'example', 'score a', 'score b', 'change'], rows, attrs);
}

export function failuresList(c: Comparison): string {
  const item = (ids: string[]) => (ids.length ? ids.map((id) => `<code>${e(id)}</code>`).join(', ') : 'none');
  return `<ul id="failure-changes"><li>New task failures in b: <span class="new-failures">${item(c.failures.newFailures)}</span></li><li>Task failures fixed in b: <span class="fixed-failures">${item(c.failures.fixedFailures)}</span></li></ul>`;
}

export function slowestTable(id: string, runs: readonly RunRecord[], links: ReportLinks): string {
  const slowest = [...runs].sort((x, y) => y.durationMs - x.durationMs).slice(0, TOP_RUNS);
  return runsTable(id, slowest, links, (r) => `${Math.round(r.durationMs)} ms`, 'duration');
}

export function costliestTable(id: string, runs: readonly RunRecord[], links: ReportLinks): string {
  const withAgent = runs.filter((r) => r.agent !== undefined);
  if (withAgent.length === 0) return `<p id="${e(id)}" class="none">No cost data: these runs have no agent stats.</p>`;
  const cost = (r: RunRecord) => r.agent!.costUsd ?? 0;
  const costliest = [...withAgent].sort((x, y) => cost(y) - cost(x) || y.agent!.totalTokens - x.agent!.totalTokens).slice(0, TOP_RUNS);
  return runsTable(id, costliest, links, (r) => `${r.agent!.costUsd !== undefined ? `$${r.agent!.costUsd.toFixed(4)}, ` : ''}${r.agent!.totalTokens} tokens`, 'cost');
}

function runsTable(id: string, runs: RunRecord[], links: ReportLinks, measure: (r: RunRecord) => string, measureName: string): string {
  const rows = runs.map((r) => {
    // A Phoenix experiment's runs have no workflow id.
    const ui = r.workflowId ? safeHref(links.workflow(r.workflowId)) : undefined;
    const traceHref = r.trace ? safeHref(links.trace(r.trace.id)) : undefined;
    return [
      e(r.exampleId),
      String(r.repetition),
      e(measure(r)),
      isFailed(r) ? `<span class="bad">failed</span>: ${e(cut(String(r.error), 120))}` : 'ok',
      ui ? `<a href="${ui}">${e(r.workflowId)}</a>` : r.workflowId ? `<code>${e(r.workflowId)}</code>` : '–',
      r.trace ? (traceHref ? `<a href="${traceHref}">${e(r.trace.id)}</a>` : `<code>${e(r.trace.id)}</code>`) : '–',
    ];
  });
  return table(id, ['example', 'rep', measureName, 'status', 'workflow (Temporal UI)', 'trace'], rows);
}

function table(id: string, head: string[], rows: string[][], rowAttrs: string[] = []): string {
  const body = rows.map((cells, i) => `<tr${rowAttrs[i] ? ` ${rowAttrs[i]}` : ''}>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table id="${e(id)}"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function num(n: number | null, digits: number): string {
  return n === null ? '–' : n.toFixed(digits);
}

function cut(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
