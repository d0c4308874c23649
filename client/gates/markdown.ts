/**
 * The experiment as a GitHub-style job summary in Markdown (`--summary "$GITHUB_STEP_SUMMARY"`
 * appends it there): the gates, the counts, each evaluator's mean, the first failures, the link.
 */
import type { ExperimentSummary } from '../../core/records';
import { formatNumber, wallMs, type GateResult } from './thresholds';

const MAX_LISTED_FAILURES = 20;

export function markdownSummary(summary: ExperimentSummary, gates: GateResult[], uiLink?: string): string {
  const failedGates = gates.filter((g) => !g.passed).length;
  const verdict = gates.length === 0 ? '' : failedGates === 0 ? ' ✅ all gates passed' : ` ❌ ${failedGates} of ${gates.length} gates failed`;
  const out = [`## Experiment \`${code(summary.name)}\`: ${summary.status}${verdict}`, ''];
  out.push(`${summary.runs} runs: ${summary.succeeded} succeeded, ${summary.failed} failed; took ${formatNumber(Math.round(wallMs(summary) / 100) / 10)} s.`, '');
  if (gates.length > 0) {
    out.push('| gate | threshold | actual | result |', '|---|---|---|---|');
    for (const g of gates) out.push(`| ${cell(g.gate)} | ${cell(g.expected)} | ${cell(g.actual)} | ${g.passed ? '✅ pass' : '❌ fail'} |`);
    out.push('');
  }
  const evaluators = Object.entries(summary.evaluators);
  if (evaluators.length > 0) {
    out.push('| evaluator | mean score | scored | labels | errors |', '|---|---|---|---|---|');
    for (const [name, e] of evaluators) {
      const labels = Object.entries(e.labels).map(([label, n]) => `${label}=${n}`).join(' ');
      out.push(`| ${cell(name)} | ${e.meanScore === null ? '–' : formatNumber(e.meanScore)} | ${e.scored} | ${cell(labels) || '–'} | ${e.errors} |`);
    }
    out.push('');
  }
  if (summary.failures.length > 0) {
    out.push(`<details><summary>${summary.failed} failed runs${summary.failed > MAX_LISTED_FAILURES ? ` (the first ${MAX_LISTED_FAILURES})` : ''}</summary>`, '');
    for (const f of summary.failures.slice(0, MAX_LISTED_FAILURES)) out.push(`- \`${code(f.exampleId)}\` (repetition ${f.repetition}): ${cell(f.error)}`);
    out.push('', '</details>', '');
  }
  if (uiLink) out.push(`[The experiment in the Temporal UI](${uiLink})`, '');
  return out.join('\n');
}

/** Text in a table cell: one line, no pipe that would end the cell, no HTML. */
function cell(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').slice(0, 300);
}

/** Text in inline code: a backtick would end it. */
function code(s: string): string {
  return s.replace(/`/g, "'");
}
