/** `dxp run <spec>`: validate, start (or attach), print the id and the UI link; optionally wait. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createRegistry, loadTaskModule } from '../../activities';
import { InvalidPlanError } from '../../activities/tasks/registry';
import { experimentWorkflowId } from '../../workflows/experiment-contract';
import { isArizeDataset, isPhoenixDataset, type ExperimentSpec } from '../../core/spec';
import { arizeClientFromEnv, checkArizeTarget } from '../arize-cli';
import { CliError, EXIT } from '../cli-context';
import { workflowUiLink, type ConnectionConfig } from '../../connection/config';
import { checkLocalDataset } from '../dataset-check';
import { checkPhoenixDataset } from '../phoenix-cli';
import { requireSearchAttributes } from '../search-attributes-check';
import { readStartedSpec, specDifferences, startExperiment } from '../experiments';
import { printOutcome } from './result';
import { watchExperiment } from './watch';
import type { GateRequest } from '../gates/apply';

export interface RunOptions {
  wait?: boolean;
  watch?: boolean;
  json?: boolean;
  taskQueue?: string;
  /** A task module to check the spec against before starting (the worker loads it too). */
  tasks?: string;
  /** CI gates and reports, checked before the start; they imply --wait. */
  gates?: GateRequest;
}

/** Checks task, evaluator and step names against the task module when we have it here. */
export function checkPlan(spec: ExperimentSpec, tasksModule?: string): void {
  try {
    const registry = createRegistry(...(tasksModule ? [loadTaskModule(tasksModule)] : []));
    // Without the module we can only check what is built in; the worker checks the rest.
    if (!tasksModule && !registry.taskNames().includes(spec.task)) return;
    registry.plan(spec);
  } catch (err) {
    if (err instanceof InvalidPlanError) throw new CliError(`invalid experiment spec: ${err.message}`, EXIT.badInput);
    throw err;
  }
}

export async function runCommand(client: Client, config: ConnectionConfig, spec: ExperimentSpec, opts: RunOptions): Promise<number> {
  const existing = await existingSpec(client, spec.name);
  if (!existing) {
    await requireSearchAttributes(client.connection.operatorService, config.namespace);
    await checkDataset(spec);
  }
  const { handle, started } = await startExperiment(client, spec, opts.taskQueue);
  const link = workflowUiLink(config, handle.workflowId);
  process.stdout.write(
    `${started ? 'Started' : 'Attached to existing'} experiment ${spec.name}\n` +
      `  workflow id: ${handle.workflowId}\n` +
      (link ? `  Temporal UI: ${link}\n` : '') +
      (started ? '' : '  (an experiment of this name exists; choose a new name to run again)\n'),
  );
  if (!started && existing) {
    const differences = specDifferences(existing.spec, spec);
    if (differences.length > 0) {
      process.stderr.write(
        `dxp: the existing experiment ${spec.name} was started with a different spec (${differences.join(', ')}); ` +
          'it keeps its own. Choose a new name to run this spec.\n',
      );
    }
  }
  if (opts.watch) await watchExperiment(client, handle);
  if (opts.wait || opts.watch || opts.gates) return printOutcome(handle, config, Boolean(opts.json), opts.gates ? { gates: opts.gates } : {});
  process.stdout.write(`Follow it with \`dxp watch ${spec.name}\`; results with \`dxp result ${spec.name}\`.\n`);
  return EXIT.ok;
}

/** The dataset must be readable (and, for a file, its ids unique) before the name is taken. */
async function checkDataset(spec: ExperimentSpec): Promise<void> {
  if (isPhoenixDataset(spec.dataset)) {
    await checkPhoenixDataset(spec.dataset);
    return;
  }
  if (!isArizeDataset(spec.dataset)) {
    await checkLocalDataset(spec.dataset);
    return;
  }
  const arize = arizeClientFromEnv();
  try {
    await checkArizeTarget(arize, spec.dataset, spec.name, experimentWorkflowId(spec.name));
  } finally {
    await arize.close();
  }
}

/** The spec the experiment of this name was started with, or undefined when there is none. */
async function existingSpec(client: Client, name: string): Promise<{ spec: ExperimentSpec } | undefined> {
  try {
    await client.workflow.getHandle(experimentWorkflowId(name)).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  return readStartedSpec(client, experimentWorkflowId(name));
}
