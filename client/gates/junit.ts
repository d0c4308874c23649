/**
 * The experiment as a JUnit XML report, the format CI systems (GitHub, GitLab, Jenkins) read:
 * one testsuite per evaluator plus one for the task, one testcase per run in each. A task error
 * is a failure of the task's case; an evaluator that threw is an error of its case; a score
 * under the evaluator's threshold (its `--fail-under` minimum, else 1) is a failure; a run with
 * no score (a label only) is reported, not judged.
 */
import type { ExperimentSummary, RunRecord } from '../../core/records';
import { formatNumber, wallMs, type Gates } from './thresholds';

interface Case {
  name: string;
  classname: string;
  timeS: number;
  failure?: { message: string; body: string };
  error?: { message: string; body: string };
  skipped?: string;
}

export function junitReport(summary: ExperimentSummary, runs: readonly RunRecord[], gates: Gates): string {
  const repeated = runs.some((r) => r.repetition > 1);
  const nameOf = (run: RunRecord) => (repeated ? `${run.exampleId} (repetition ${run.repetition})` : run.exampleId);
  const suites = new Map<string, Case[]>();
  suites.set('task', runs.map((run) => ({
    name: nameOf(run),
    classname: `${summary.name}.task`,
    timeS: run.durationMs / 1000,
    ...(run.error ? { failure: { message: firstLine(run.error), body: run.error } } : {}),
  })));
  const columns = Object.keys(summary.evaluators);
  for (const column of columns) {
    const threshold = gates.minScores.find((g) => g.evaluator === column)?.min ?? 1;
    suites.set(column, runs.map((run) => evaluatorCase(summary.name, column, threshold, run, nameOf(run))));
  }
  const all = [...suites.values()].flat();
  const count = (cases: Case[]) => ({
    tests: cases.length,
    failures: cases.filter((c) => c.failure).length,
    errors: cases.filter((c) => c.error).length,
    skipped: cases.filter((c) => c.skipped !== undefined).length,
  });
  const totals = count(all);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(summary.name)}" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}" time="${(wallMs(summary) / 1000).toFixed(3)}">`,
  ];
  for (const [suite, cases] of suites) {
    const c = count(cases);
    lines.push(`  <testsuite name="${attr(`${summary.name}.${suite}`)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" timestamp="${attr(summary.startedAt)}">`);
    for (const k of cases) {
      const open = `    <testcase name="${attr(k.name)}" classname="${attr(k.classname)}" time="${k.timeS.toFixed(3)}"`;
      if (k.failure) lines.push(`${open}>`, `      <failure message="${attr(k.failure.message)}">${text(k.failure.body)}</failure>`, '    </testcase>');
      else if (k.error) lines.push(`${open}>`, `      <error message="${attr(k.error.message)}">${text(k.error.body)}</error>`, '    </testcase>');
      else if (k.skipped !== undefined) lines.push(`${open}>`, `      <skipped message="${attr(k.skipped)}"/>`, '    </testcase>');
      else lines.push(`${open}/>`);
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

function evaluatorCase(experiment: string, column: string, threshold: number, run: RunRecord, name: string): Case {
  const base = { name, classname: `${experiment}.${column}`, timeS: 0 };
  const outcome = run.evaluations[column];
  if (!outcome) return { ...base, skipped: run.error && Object.keys(run.evaluations).length === 0 ? 'not evaluated: the row never ran' : 'no result' };
  if (outcome.error) return { ...base, error: { message: firstLine(outcome.error), body: outcome.error } };
  if (typeof outcome.score !== 'number') return { ...base, skipped: `no score${outcome.label ? ` (label ${outcome.label})` : ''}` };
  if (outcome.score >= threshold) return base;
  const why = `score ${formatNumber(outcome.score)} < ${formatNumber(threshold)}${outcome.label ? ` (label ${outcome.label})` : ''}`;
  return { ...base, failure: { message: why, body: [why, outcome.explanation ?? ''].filter(Boolean).join('\n') } };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 500);
}

/** XML 1.0 cannot carry most control characters at all, even escaped: they are replaced. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD').replace(/[\uD800-\uDFFF]/g, (c, i: number, all: string) => {
    const code = c.charCodeAt(0);
    const pair = code < 0xdc00 ? all.charCodeAt(i + 1) : all.charCodeAt(i - 1);
    return (code < 0xdc00 ? pair >= 0xdc00 && pair <= 0xdfff : pair >= 0xd800 && pair < 0xdc00) ? c : '\uFFFD';
  });
}

function text(s: string): string {
  return clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
