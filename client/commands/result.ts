/** `dxp result`: what an experiment produced (summary, optionally every run), or that it is not done yet. */
import { dirname } from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { createLocalStore, type ResultsStore } from '../../activities/sinks';
import type { ExperimentSummary, RunRecord } from '../../core/records';
import { workflowUiLink, type ConnectionConfig } from '../../connection/config';
import { CliError, EXIT } from '../exit-codes';
import { getExperimentHandle, type ExperimentHandle } from '../experiments';
import { formatRunsTable, formatSummary } from '../format';
import { configuredStore, isDatabaseLocation, withStore } from '../results-store';
import { applyGates, formatGates, type GateRequest } from '../gates/apply';

export interface ResultOptions {
  json?: boolean;
  wait?: boolean;
  /** Also every run, read from the results store the summary names. */
  runs?: boolean;
  /** CI gates and reports (`--fail-under`, `--max-failures`, `--junit`, `--summary`), checked before. */
  gates?: GateRequest;
}

/** Waits for the result and prints it; returns the exit code (non-zero when the experiment failed, or a gate did). */
export async function printOutcome(handle: ExperimentHandle, config: ConnectionConfig, json: boolean, opts: { runs?: boolean; gates?: GateRequest } = {}): Promise<number> {
  let summary: ExperimentSummary;
  try {
    summary = await handle.result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const reason = err.cause?.message ?? err.message;
    const link = workflowUiLink(config, handle.workflowId);
    if (json) process.stdout.write(`${JSON.stringify({ experimentId: handle.workflowId, status: 'failed', error: reason }, null, 2)}\n`);
    else process.stderr.write(`Experiment ${handle.workflowId} did not complete: ${reason}\n${link ? `See ${link}\n` : ''}`);
    return EXIT.failed;
  }
  let runs = opts.runs ? await readStoredRuns(summary) : undefined;
  const gated = opts.gates
    ? await applyGates(summary, opts.gates, async () => (runs ??= await readStoredRuns(summary)), workflowUiLink(config, handle.workflowId))
    : undefined;
  const shown = opts.runs ? runs : undefined;
  if (json) process.stdout.write(`${JSON.stringify({ ...summary, ...(shown ? { runRecords: shown } : {}), ...(gated ? { gates: gated.results } : {}) }, null, 2)}\n`);
  else {
    process.stdout.write(`${formatSummary(summary)}\n${shown ? `\n${formatRunsTable(shown)}\n` : ''}`);
    if (gated && gated.results.length > 0) process.stdout.write(`\n${formatGates(gated.results)}\n`);
  }
  return gated && !gated.passed ? EXIT.failed : EXIT.ok;
}

export async function resultCommand(client: Client, config: ConnectionConfig, id: string, opts: ResultOptions): Promise<number> {
  const handle = getExperimentHandle(client, id);
  const description = await handle.describe();
  if (description.status.name === 'RUNNING' && !opts.wait && !opts.gates) {
    process.stderr.write(`Experiment ${handle.workflowId} is still running; \`dxp watch ${id}\` follows it, \`dxp result ${id} --wait\` waits.\n`);
    return EXIT.running;
  }
  return printOutcome(handle, config, Boolean(opts.json), opts);
}

/**
 * The runs in the store the summary names: the shared database (DXP_RESULTS_URL must reach it),
 * or the folder of the worker that stored them.
 */
async function readStoredRuns(summary: ExperimentSummary): Promise<RunRecord[]> {
  if (isDatabaseLocation(summary.location)) {
    const config = configuredStore(undefined);
    if (config.kind !== 'postgres') {
      throw new CliError(`--runs: the runs are in ${summary.location}: set DXP_RESULTS_URL to that database (with its credentials)`, EXIT.badInput);
    }
    return withStore(config, (store) => collectRuns(store, summary));
  }
  return collectRuns(createLocalStore(dirname(dirname(summary.location))), summary);
}

async function collectRuns(store: ResultsStore, summary: ExperimentSummary): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  try {
    for await (const run of store.readRuns(summary.experimentId)) runs.push(run);
  } catch (err) {
    const where = isDatabaseLocation(summary.location) ? '' : ' (they are on the disk of the worker that stored them)';
    throw new CliError(`--runs: cannot read the runs at ${summary.location}${where}: ${(err as Error).message}`, EXIT.badInput);
  }
  return runs.sort((a, b) => a.exampleId.localeCompare(b.exampleId) || a.repetition - b.repetition);
}
