/** `dxp status`: state, counts, rate and ETA of one experiment, from the experiment itself. */
import type { Client } from '@temporalio/client';
import { workflowUiLink, type ConnectionConfig } from '../../connection/config';
import { EXIT } from '../exit-codes';
import { readExperimentState } from '../experiment-state';
import { getExperimentHandle } from '../experiments';
import { formatStateLine } from '../format';

export async function statusCommand(client: Client, config: ConnectionConfig, id: string, opts: { json?: boolean } = {}): Promise<number> {
  const handle = getExperimentHandle(client, id);
  const state = await readExperimentState(client, handle);
  const link = workflowUiLink(config, handle.workflowId);
  if (opts.json) {
    const { summary: _summary, ...rest } = state;
    process.stdout.write(`${JSON.stringify({ ...rest, ...(link ? { uiUrl: link } : {}) }, null, 2)}\n`);
    return EXIT.ok;
  }
  const lines = [
    `Experiment ${state.name}: ${state.status}`,
    `  started ${state.startedAt}${state.closedAt ? `, closed ${state.closedAt}` : ''}; task queue ${state.taskQueue}`,
    `  ${formatStateLine(state)}`,
  ];
  if (state.note) lines.push(`  ${state.note}`);
  if (link) lines.push(`  ${link}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
