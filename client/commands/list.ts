/** `dxp list`: the experiments on this server, newest first, from the visibility store (no worker needed). */
import type { Client } from '@temporalio/client';
import { EXPERIMENT_WORKFLOW_TYPE } from '../../workflows/experiment-contract';
import type { ConnectionConfig } from '../../connection/config';
import { EXIT } from '../exit-codes';
import { visibilityCounts } from '../experiment-state';

export interface ListedExperiment {
  name: string;
  status: string;
  startedAt: string;
  closedAt?: string;
  done: number;
  failed: number;
  running: number;
}

export async function listCommand(client: Client, _config: ConnectionConfig, opts: { json?: boolean; limit: number }): Promise<number> {
  const found: { name: string; status: string; startedAt: Date; closedAt?: Date }[] = [];
  // Continued-as-new generations are closed runs of the same experiment: list each experiment once.
  const query = `WorkflowType = "${EXPERIMENT_WORKFLOW_TYPE}" AND ExecutionStatus != "ContinuedAsNew"`;
  for await (const w of client.workflow.list({ query, pageSize: Math.min(opts.limit, 100) })) {
    found.push({ name: w.workflowId.replace(/^experiment\//, ''), status: w.status.name, startedAt: w.startTime, ...(w.closeTime ? { closedAt: w.closeTime } : {}) });
    if (found.length >= opts.limit) break;
  }
  const listed: ListedExperiment[] = await Promise.all(
    found.map(async (e) => {
      const counts = await visibilityCounts(client, e.name);
      return {
        name: e.name,
        status: e.status,
        startedAt: e.startedAt.toISOString(),
        ...(e.closedAt ? { closedAt: e.closedAt.toISOString() } : {}),
        done: counts.done,
        failed: counts.failed,
        running: counts.running,
      };
    }),
  );
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
    return EXIT.ok;
  }
  if (listed.length === 0) {
    process.stdout.write('No experiments on this server yet (`dxp run <spec>` starts one).\n');
    return EXIT.ok;
  }
  const rows = [['name', 'status', 'done', 'failed', 'running', 'started'], ...listed.map((e) => [e.name, e.status, String(e.done), String(e.failed), String(e.running), e.startedAt])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  process.stdout.write(`${rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')}\n`);
  return EXIT.ok;
}
