/**
 * `dxp log <results-file>`: uploads a results table made elsewhere to an Arize experiment (or,
 * with `--phoenix`, a Phoenix one),
 * durably and exactly once (a `logExperiment` workflow). Everything is checked before it starts.
 */
import { resolve } from 'node:path';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { openLocalDataset } from '../../activities/datasets';
import { mappedColumns } from '../../activities/results-table';
import type { logExperiment } from '../../workflows/log-experiment';
import { LOG_WORKFLOW_TYPE, logWorkflowId, type LogResult } from '../../core/log-contract';
import { DEFAULT_TASK_QUEUE } from '../../workflows/experiment-contract';
import { localDatasetSchema, type ArizeDatasetSpec, type LocalDatasetSpec, type PhoenixDatasetSpec } from '../../core/spec';
import { arizeClientFromEnv, checkArizeTarget } from '../arize-cli';
import { CliError, EXIT } from '../cli-context';
import { checkPhoenixDataset } from '../phoenix-cli';
import { workflowUiLink, type ConnectionConfig } from '../../connection/config';
import { LogOptionError, mappingFromFlags, type LogFlags } from '../log-options';

export interface LogCommandOptions extends LogFlags {
  dataset: string;
  space?: string;
  /** The dataset is a Phoenix dataset (PHOENIX_BASE_URL), not an Arize one. */
  phoenix?: boolean;
  name: string;
  format?: LocalDatasetSpec['format'];
  taskQueue?: string;
  wait?: boolean;
}

export async function logCommand(client: Client, config: ConnectionConfig, file: string, opts: LogCommandOptions): Promise<number> {
  const workflowId = logWorkflowId(opts.name);
  const parsedFile = localDatasetSchema.safeParse({ path: resolve(file), ...(opts.format ? { format: opts.format } : {}) });
  if (!parsedFile.success) throw new CliError(`results file: ${parsedFile.error.issues.map((i) => i.message).join('; ')}`, EXIT.badInput);
  const table = parsedFile.data;
  let mapping;
  try {
    mapping = mappingFromFlags(opts);
  } catch (err) {
    if (err instanceof LogOptionError) throw new CliError(err.message, EXIT.badInput);
    throw err;
  }
  await checkTable(table, mappedColumns(mapping));
  const dataset = await checkTarget(opts, workflowId);
  const service = opts.phoenix ? 'Phoenix' : 'Arize';

  let handle;
  try {
    handle = await client.workflow.start<typeof logExperiment>(LOG_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: opts.taskQueue ?? process.env.DXP_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
      args: [{ name: opts.name, dataset, file: table, mapping }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: `log ${table.path} to ${service} experiment ${opts.name}`,
    });
    process.stdout.write(`Started logging ${table.path} to ${service} experiment ${opts.name}\n`);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    handle = client.workflow.getHandle<typeof logExperiment>(workflowId);
    process.stdout.write(`Attached to the existing log of ${opts.name}\n`);
  }
  const link = workflowUiLink(config, workflowId);
  process.stdout.write(`  workflow id: ${workflowId}\n${link ? `  Temporal UI: ${link}\n` : ''}`);
  if (!opts.wait) return EXIT.ok;
  try {
    const result = await handle.result();
    process.stdout.write(formatLogResult(result, service));
    // Rows rejected beside logged ones are reported, not fatal; a table of which nothing was logged is a failure.
    if (result.rows > 0 && result.rejected === result.rows) {
      process.stderr.write(`dxp log: nothing was logged: all ${result.rows} rows were rejected\n`);
      return EXIT.failed;
    }
    return EXIT.ok;
  } catch (err) {
    process.stderr.write(`dxp log failed: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}\n`);
    return EXIT.failed;
  }
}

/** The dataset must resolve (and an Arize experiment of that name be ours) before anything starts. */
async function checkTarget(opts: LogCommandOptions, workflowId: string): Promise<ArizeDatasetSpec | PhoenixDatasetSpec> {
  if (opts.phoenix) {
    if (opts.space) throw new CliError('--space is for Arize datasets; a Phoenix dataset has none', EXIT.badInput);
    const dataset: PhoenixDatasetSpec = { phoenix: { dataset: opts.dataset } };
    // Phoenix keeps its experiments apart by metadata, so only the dataset needs checking.
    await checkPhoenixDataset(dataset);
    return dataset;
  }
  const dataset: ArizeDatasetSpec = { arize: { dataset: opts.dataset, ...(opts.space ? { space: opts.space } : {}) } };
  const arize = arizeClientFromEnv();
  try {
    await checkArizeTarget(arize, dataset, opts.name, workflowId);
  } finally {
    await arize.close();
  }
  return dataset;
}

/** The table must be readable and have every mapped column (checked on its first row). */
async function checkTable(table: LocalDatasetSpec, columns: string[]): Promise<void> {
  let row: Record<string, unknown> | undefined;
  try {
    row = (await openLocalDataset(table).readPage(null, 1)).examples[0]?.row;
  } catch (err) {
    throw new CliError(`results file: ${(err as Error).message}`, EXIT.badInput);
  }
  if (!row) throw new CliError(`results file ${table.path}: no readable rows`, EXIT.badInput);
  const missing = columns.filter((c) => !(c in row));
  if (missing.length) throw new CliError(`results file ${table.path}: no column(s) ${missing.join(', ')}; it has: ${Object.keys(row).join(', ')}`, EXIT.badInput);
}

export function formatLogResult(r: LogResult, service: 'Arize' | 'Phoenix' = 'Arize'): string {
  const lines = [
    `Logged ${r.name}: ${r.rows} rows read, ${r.arize.uploaded} runs in ${service} experiment ${r.arize.experimentId ?? '(none)'}`,
    ...(r.rejected ? [`  ${r.rejected} rows rejected:`, ...r.rejections.map((reason) => `    ${reason}`)] : []),
  ];
  return `${lines.join('\n')}\n`;
}
