/** Markdown shown as the experiment's "current details" in the Temporal UI. */
import type { ExperimentProgress } from './experiment-contract';

export function renderProgress(p: ExperimentProgress): string {
  const { counts } = p;
  const done = counts.succeeded + counts.failed;
  const total = counts.total === null ? '?' : String(counts.total);
  return [
    `**${p.name}**: ${p.phase}`,
    `- done ${done} / ${total} (succeeded ${counts.succeeded}, failed ${counts.failed})`,
    `- running ${p.running}, skipped ${counts.skipped}`,
    `- generation ${p.generation} (continue-as-new count)`,
  ].join('\n');
}
