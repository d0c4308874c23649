/** `dxp run <spec>`: validate, start (or attach), print the id and the UI link; optionally wait. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createRegistry, loadTaskModule } from '../../activities';
import { InvalidPlanError } from '../../activities/tasks/registry';
import { experimentWorkflowId } from '../../workflows/experiment-contract';
import { isArizeDataset, type ExperimentSpec } from '../../workflows/spec';
import { arizeClientFromEnv, checkArizeTarget } from '../arize-cli';
import { CliError, EXIT } from '../cli-context';
import { workflowUiLink, type ConnectionConfig } from '../connection-config';
import { startExperiment } from '../experiments';
import { printOutcome } from './result';
import { watchExperiment } from './watch';

export interface RunOptions {
  wait?: boolean;
  watch?: boolean;
  json?: boolean;
  taskQueue?: string;
  /** A task module to check the spec against before starting (the worker loads it too). */
  tasks?: string;
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
  if (isArizeDataset(spec.dataset) && !(await experimentExists(client, spec.name))) {
    const arize = arizeClientFromEnv();
    try {
      await checkArizeTarget(arize, spec.dataset, spec.name, experimentWorkflowId(spec.name));
    } finally {
      await arize.close();
    }
  }
  const { handle, started } = await startExperiment(client, spec, opts.taskQueue);
  const link = workflowUiLink(config, handle.workflowId);
  process.stdout.write(
    `${started ? 'Started' : 'Attached to existing'} experiment ${spec.name}\n` +
      `  workflow id: ${handle.workflowId}\n` +
      (link ? `  Temporal UI: ${link}\n` : '') +
      (started ? '' : '  (an experiment of this name exists; choose a new name to run again)\n'),
  );
  if (opts.watch) await watchExperiment(handle);
  if (opts.wait || opts.watch) return printOutcome(handle, config, Boolean(opts.json));
  process.stdout.write(`Follow it with \`dxp watch ${spec.name}\`; results with \`dxp result ${spec.name}\`.\n`);
  return EXIT.ok;
}

async function experimentExists(client: Client, name: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(experimentWorkflowId(name)).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
