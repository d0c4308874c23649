/**
 * `dxp demo`: the whole pipeline on local defaults. Uses the Temporal server at TEMPORAL_ADDRESS
 * when one answers, else starts the dev server (state in .dxp/temporal.db); runs a worker in
 * this process; runs the bundled calculator dataset; prints the summary and the UI link.
 * `--agent` runs the coding-agent demo of examples/agent instead (see demo-agent.ts).
 */
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { connectWorker, createWorker } from '../../workers/create-worker';
import { workerSettings } from '../../workers/config';
import { PROJECT_ROOT } from '../temporal-cli';
import { type DevServer } from '../dev-server';
import { loadConnectionConfig, withClient } from '../cli-context';
import { startExperiment } from '../experiments';
import { workflowUiLink, type ConnectionConfig } from '../../connection/config';
import { loadSpecFile } from '../spec-file';
import { defaultDbFile, launchServer } from './server';
import { AGENT_DEMO_SPEC, AGENT_DEMO_TASK_QUEUE, AGENT_DEMO_TASKS, formatAgentRuns, prepareDemoModel, readStoredRuns } from '../demo/agent-demo';
import { printOutcome } from './result';
import { watchExperiment } from './watch';

export const DEMO_SPEC = join(PROJECT_ROOT, 'examples', 'demo', 'experiment.yaml');
const DEMO_TASK_QUEUE = 'dxp-demo';

export interface DemoOptions {
  /** After the summary: keep a server we started running for the UI (default: when interactive). */
  keep?: boolean;
  /** Run the coding-agent demo (examples/agent) instead of the calculator. */
  agent?: boolean;
}

export async function demoCommand(opts: DemoOptions): Promise<number> {
  let config = loadConnectionConfig();
  const server = await ensureServer(config);
  if (server) config = { ...config, address: server.address, uiUrl: server.uiUrl };

  // Failed examples are part of the demo: keep the SDK's per-failure warnings out of the output.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const taskQueue = opts.agent ? AGENT_DEMO_TASK_QUEUE : DEMO_TASK_QUEUE;
  const settings = { ...workerSettings(opts.agent ? { taskQueue, tasks: AGENT_DEMO_TASKS } : { taskQueue }), shutdownGraceTime: '5s' };
  // The agent demo's model settings go to its worker alone; this process's environment is left as it is.
  const model = opts.agent ? await prepareDemoModel() : undefined;
  const connection = await connectWorker(config).catch(async (err: unknown) => {
    await model?.stop();
    throw err;
  });
  process.stdout.write('Starting a worker in this process (bundling the workflows takes a few seconds)...\n');
  const worker = await createWorker({ connection, namespace: config.namespace, settings, ...(model ? { serviceEnv: model.env } : {}) }).catch(async (err: unknown) => {
    await connection.close();
    await model?.stop();
    throw err;
  });
  const running = worker.run();

  let code: number;
  try {
    const spec = loadSpecFile(opts.agent ? AGENT_DEMO_SPEC : DEMO_SPEC);
    spec.name = `${spec.name}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
    code = await withClient(async (client) => {
      const { handle } = await startExperiment(client, spec, taskQueue);
      const link = workflowUiLink(config, handle.workflowId);
      process.stdout.write(`Experiment ${spec.name} started: ${handle.workflowId}\n${link ? `Temporal UI: ${link}\n` : ''}`);
      await watchExperiment(client, handle);
      const result = await printOutcome(handle, config, false);
      if (opts.agent) process.stdout.write(`${formatAgentRuns(readStoredRuns(settings.dataDir, spec.name))}\n`);
      if (link) process.stdout.write(`Temporal UI: ${link}\n`);
      return result;
    }, config);
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await model?.stop();
  }

  if (server) {
    const keep = opts.keep ?? Boolean(process.stdout.isTTY);
    if (keep) {
      process.stdout.write(`The dev server keeps running for the UI (${server.uiUrl}). Ctrl-C stops it.\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
    await server.stop();
  }
  return code;
}

/** Returns a dev server we started, or undefined when TEMPORAL_ADDRESS already answers. */
async function ensureServer(config: ConnectionConfig): Promise<DevServer | undefined> {
  try {
    await withClient(async () => undefined, config);
    process.stdout.write(`Using the Temporal server at ${config.address}.\n`);
    return undefined;
  } catch {
    const port = Number(/:(\d+)$/.exec(config.address)?.[1] ?? 7233);
    process.stdout.write(`No Temporal server at ${config.address}; starting the dev server (state in ${defaultDbFile()})...\n`);
    const server = await launchServer({ port, dbFile: defaultDbFile() });
    process.stdout.write(`Temporal dev server on ${server.address}, Web UI ${server.uiUrl}\n`);
    return server;
  }
}
