/** Terminal rendering of progress and results. */
import type { ExperimentSummary, RunRecord } from '../core/records';
import type { ExperimentState } from './experiment-state';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** One line of where an experiment is: a bar when the total is known, the rate and ETA while it runs. */
export function formatStateLine(st: ExperimentState, width = 24): string {
  const { total, done, failed, running } = st.counts;
  if (total === null) {
    return `${done} done (${st.counts.succeeded} succeeded, ${failed} failed), ${running} running; total unknown (counts from the server's visibility store)`;
  }
  const filled = Math.round((total ? Math.min(1, done / total) : 1) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const head = `${bar} ${done}/${total} done, ${failed} failed, ${running} running`;
  if (st.status !== 'RUNNING') {
    const took = st.closedAt ? ` | took ${formatDuration(Date.parse(st.closedAt) - Date.parse(st.startedAt))}` : '';
    return `${head}${took}`;
  }
  const rate = st.ratePerSec ?? 0;
  const eta = st.etaSeconds !== undefined ? formatDuration(st.etaSeconds * 1000) : '?';
  if (st.paused) return `${head} | paused by ${st.paused.by} since ${st.paused.since}${st.paused.reason ? ` (${st.paused.reason})` : ''}`;
  return `${head} | ${rate.toFixed(1)}/s | ETA ${eta}${st.phase ? ` | ${st.phase}` : ''}`;
}

/** A table of runs: example, repetition, status, duration, each evaluator's score (or label), the error. */
export function formatRunsTable(runs: RunRecord[], maxErrorChars = 80): string {
  const columns = [...new Set(runs.flatMap((r) => Object.keys(r.evaluations)))].sort();
  const header = ['example', 'rep', 'status', 'duration', ...columns, 'error'];
  const rows = runs.map((r) => [
    r.exampleId,
    String(r.repetition),
    r.error ? 'failed' : 'ok',
    formatDuration(r.durationMs),
    ...columns.map((c) => {
      const e = r.evaluations[c];
      if (!e) return '';
      if (e.error) return 'error';
      return e.score !== undefined ? String(Math.round(e.score * 1000) / 1000) : (e.label ?? '');
    }),
    oneLine(r.error ?? '', maxErrorChars),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const render = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [render(header), ...rows.map(render)].join('\n');
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function formatSummary(s: ExperimentSummary): string {
  const lines = [
    `Experiment ${s.name}: ${s.status}`,
    `  runs ${s.runs}: ${s.succeeded} succeeded, ${s.failed} failed`,
    `  took ${formatDuration(Date.parse(s.finishedAt) - Date.parse(s.startedAt))}; stored in ${s.location}`,
  ];
  if (s.agent) {
    const a = s.agent;
    const cost = a.costUsd !== undefined ? `, $${a.costUsd.toFixed(4)}` : '';
    lines.push(`  agent: ${a.turns} model turns, ${a.toolCalls} tool calls, ${a.totalTokens} tokens (${a.promptTokens} prompt, ${a.completionTokens} completion)${cost}`);
  }
  const evaluators = Object.entries(s.evaluators);
  if (evaluators.length) {
    lines.push('  evaluators:');
    for (const [name, e] of evaluators) {
      const labels = Object.entries(e.labels)
        .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
        .map(([label, n]) => `${label}=${n}`)
        .join(' ');
      const mean = e.meanScore === null ? '-' : e.meanScore.toFixed(3);
      lines.push(`    ${name}: mean score ${mean} over ${e.scored}${labels ? `; labels ${labels}` : ''}${e.errors ? `; ${e.errors} errors` : ''}`);
    }
  }
  if (s.arize) {
    const a = s.arize;
    const version = a.datasetVersionId ? ` (version ${a.datasetVersionId})` : '';
    lines.push(`  Arize AX: experiment ${a.experimentId ?? '(not created)'} on dataset ${a.datasetId}${version}: ${a.uploaded} runs uploaded`);
    if (a.notUploaded > 0) lines.push(`    ${a.notUploaded} runs kept only locally${a.error ? ` (${a.error})` : ''}: \`dxp upload ${s.name}\` sends them`);
  }
  if (s.phoenix) {
    const p = s.phoenix;
    const version = p.datasetVersionId ? ` (version ${p.datasetVersionId})` : '';
    lines.push(`  Phoenix: experiment ${p.experimentId ?? '(not created)'} on dataset ${p.datasetId}${version}: ${p.uploaded} runs sent`);
    if (p.notUploaded > 0) lines.push(`    ${p.notUploaded} runs kept only in the results store${p.error ? ` (${p.error})` : ''}`);
  }
  if (s.failures.length) {
    lines.push('  failures:');
    for (const f of s.failures) lines.push(`    ${f.exampleId} (rep ${f.repetition}): ${f.error}`);
    if (s.failuresTruncated) lines.push(`    ... more in ${s.location}`);
  }
  return lines.join('\n');
}
