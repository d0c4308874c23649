/** Terminal rendering of progress and results. */
import type { ExperimentProgress } from '../workflows/experiment-contract';
import type { ExperimentSummary } from '../workflows/records';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** One line: bar, done/total, failed, running, rate and ETA. */
export function formatProgressLine(p: ExperimentProgress, ratePerSec: number, width = 24): string {
  const done = p.counts.succeeded + p.counts.failed;
  const total = p.counts.total;
  const fraction = total ? Math.min(1, done / total) : 0;
  const filled = Math.round(fraction * width);
  const bar = total ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]` : '[' + '?'.repeat(width) + ']';
  const eta = total && ratePerSec > 0 ? formatDuration(((total - done) / ratePerSec) * 1000) : '?';
  return `${bar} ${done}/${total ?? '?'} done, ${p.counts.failed} failed, ${p.running} running | ${ratePerSec.toFixed(1)}/s | ETA ${eta} | ${p.phase}`;
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
  if (s.failures.length) {
    lines.push('  failures:');
    for (const f of s.failures) lines.push(`    ${f.exampleId} (rep ${f.repetition}): ${f.error}`);
    if (s.failuresTruncated) lines.push(`    ... more in ${s.location}`);
  }
  return lines.join('\n');
}
