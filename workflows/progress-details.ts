/**
 * How the experiment's progress reads in the Temporal UI: markdown for its "current details"
 * (User Metadata tab, answered by a running worker), and one line for labels on its main page.
 */
import type { ExperimentProgress } from './experiment-contract';

export function renderProgress(p: ExperimentProgress): string {
  const { counts } = p;
  const done = counts.succeeded + counts.failed;
  const total = counts.total === null ? '?' : String(counts.total);
  const phase = p.paused && p.phase === 'running' ? `paused (by ${p.paused.by}, since ${p.paused.since}${p.paused.reason ? `: ${p.paused.reason}` : ''})` : p.phase;
  return [
    `**${p.name}**: ${phase}`,
    `- done ${done} / ${total} (succeeded ${counts.succeeded}, failed ${counts.failed})`,
    `- running ${p.running}; failed as repeated ids ${counts.skipped}`,
    `- generation ${p.generation} (continue-as-new count)`,
  ].join('\n');
}

/**
 * `done 7 / 12 (failed 1), running 3`: a single-line summary, for the user metadata of a
 * timer or an activity of the experiment, which the UI's timeline (the workflow's main page) shows
 * as that row's label. Summaries are metadata: changing them never breaks replay.
 */
export function progressLine(p: ExperimentProgress): string {
  const { counts } = p;
  const done = counts.succeeded + counts.failed;
  const total = counts.total === null ? '?' : String(counts.total);
  return `done ${done} / ${total} (failed ${counts.failed}), running ${p.running}${p.paused ? ', paused' : ''}`;
}
