/** `dxp result` and `dxp status`: what an experiment produced, or where it is. */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { workflowUiLink, type ConnectionConfig } from '../connection-config';
import { EXIT } from '../cli-context';
import { getExperimentHandle, queryProgress, type ExperimentHandle } from '../experiments';
import { formatProgressLine, formatSummary } from '../format';

/** Waits for the result and prints it; returns the exit code (non-zero when the experiment failed). */
export async function printOutcome(handle: ExperimentHandle, config: ConnectionConfig, json: boolean): Promise<number> {
  try {
    const summary = await handle.result();
    process.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
    return EXIT.ok;
  } catch (err) {
    const reason = err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : (err as Error).message;
    const link = workflowUiLink(config, handle.workflowId);
    if (json) process.stdout.write(`${JSON.stringify({ experimentId: handle.workflowId, status: 'failed', error: reason }, null, 2)}\n`);
    else process.stderr.write(`Experiment ${handle.workflowId} did not complete: ${reason}\n${link ? `See ${link}\n` : ''}`);
    return EXIT.failed;
  }
}

export async function resultCommand(client: Client, config: ConnectionConfig, id: string, opts: { json?: boolean; wait?: boolean }): Promise<number> {
  const handle = getExperimentHandle(client, id);
  const description = await handle.describe();
  if (description.status.name === 'RUNNING' && !opts.wait) {
    process.stderr.write(`Experiment ${handle.workflowId} is still running; \`dxp watch ${id}\` follows it, \`dxp result ${id} --wait\` waits.\n`);
    return EXIT.failed;
  }
  return printOutcome(handle, config, Boolean(opts.json));
}

export async function statusCommand(client: Client, config: ConnectionConfig, id: string): Promise<number> {
  const handle = getExperimentHandle(client, id);
  const d = await handle.describe();
  const lines = [
    `Experiment ${handle.workflowId}: ${d.status.name}`,
    `  started ${d.startTime.toISOString()}${d.closeTime ? `, closed ${d.closeTime.toISOString()}` : ''}`,
    `  task queue ${d.taskQueue}`,
  ];
  if (d.status.name === 'RUNNING') {
    try {
      lines.push(`  ${formatProgressLine(await queryProgress(handle), 0)}`);
    } catch (err) {
      lines.push(`  progress unavailable (is a worker running on ${d.taskQueue}?): ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const link = workflowUiLink(config, handle.workflowId);
  if (link) lines.push(`  ${link}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
