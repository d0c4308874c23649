/**
 * Builds a dxp worker: the experiment and example workflows plus every activity on the task
 * queue, and the same activities on the model task queue, where model-bound ones are routed.
 */
import type { Duration } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, createRegistry, loadTaskModule } from '../activities';
import { arizeConfigFromEnv, createArizeClient } from '../activities/arize';
import type { ArizeClient } from '../activities/arize/types';
import { createDatasetSources } from '../activities/datasets';
import { useSandboxProvider } from '../activities/sandbox/from-env';
import { createLocalStore } from '../activities/sinks';
import type { TaskModule } from '../activities/tasks/define';
import type { ConnectionConfig } from '../client/connection-config';
import type { WorkerSettings } from './config';
import { bundlerLogger } from './logger';
import { combineWorkers, disposeUnstarted, type DxpWorker } from './dxp-worker';

export type { DxpWorker } from './dxp-worker';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  settings: WorkerSettings;
  /** Task modules given as objects (tests, embedding); added to `settings.tasksModule`. */
  modules?: TaskModule[];
  /** Prebuilt workflow code, shared by several workers in one process. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Relative dataset paths resolve against this folder. */
  datasetBaseDir?: string;
  /** Where ARIZE_* settings come from; default: process.env. */
  env?: NodeJS.ProcessEnv;
}

export async function createWorker(options: CreateWorkerOptions): Promise<DxpWorker> {
  const { settings } = options;
  const modules = [...(settings.tasksModule ? [loadTaskModule(settings.tasksModule)] : []), ...(options.modules ?? [])];
  const registry = createRegistry(...modules);
  // A module's own sandbox provider (Docker, remote) replaces DXP_SANDBOX's; the last one given wins.
  const ownSandboxes = modules.filter((m) => m.sandboxProvider).at(-1)?.sandboxProvider;
  if (ownSandboxes) useSandboxProvider(ownSandboxes);
  const sink = createLocalStore(settings.dataDir);
  const arize = lazyArizeClient(options.env ?? process.env);
  const workflowBundle =
    options.workflowBundle ?? (settings.workflowBundlePath ? { codePath: settings.workflowBundlePath } : undefined);
  // One object for both queues: the workflow's activity options decide where each call runs.
  const activities = createActivities({
    registry,
    sink,
    datasets: createDatasetSources({
      ...(options.datasetBaseDir ? { baseDir: options.datasetBaseDir } : {}),
      ...(arize ? { arize: arize.get, ...(arize.space ? { defaultSpace: arize.space } : {}) } : {}),
    }),
    ...(arize ? { arize: arize.get } : {}),
    modelTaskQueue: settings.modelTaskQueue,
  });
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    activities,
    shutdownGraceTime: settings.shutdownGraceTime as Duration,
    // Cancellation reaches an activity only with a heartbeat's reply: keep that gap short.
    maxHeartbeatThrottleInterval: settings.heartbeatThrottle as Duration,
    defaultHeartbeatThrottleInterval: settings.heartbeatThrottle as Duration,
  } satisfies Partial<WorkerOptions>;
  const model = await Worker.create({
    ...common,
    taskQueue: settings.modelTaskQueue,
    maxConcurrentActivityTaskExecutions: settings.maxModelCalls,
    // Enforced by the server for the whole queue, so it holds across every worker polling it.
    ...(settings.modelRate !== undefined ? { maxTaskQueueActivitiesPerSecond: settings.modelRate } : {}),
  });
  let main: Worker;
  try {
    main = await Worker.create(await bundledQuietly({
      ...common,
      taskQueue: settings.taskQueue,
      ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
      maxConcurrentActivityTaskExecutions: settings.maxConcurrentActivities,
      maxConcurrentWorkflowTaskExecutions: settings.maxConcurrentWorkflowTasks,
      ...(settings.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: settings.maxCachedWorkflows } : {}),
    }));
  } catch (err) {
    await disposeUnstarted(model);
    throw err;
  }
  return combineWorkers(main, model);
}

/**
 * Bundles `workflowsPath` here rather than in Worker.create, whose bundler logs its webpack report
 * at INFO on every start: the same bundle, with that report at DEBUG.
 */
async function bundledQuietly(options: WorkerOptions): Promise<WorkerOptions> {
  if (options.workflowBundle || !options.workflowsPath) return options;
  const { workflowsPath, ...rest } = options;
  const logger = bundlerLogger(Runtime.instance().logger);
  return { ...rest, workflowBundle: await bundleWorkflowCode({ workflowsPath, logger }) };
}

/** Arize is optional: configured by ARIZE_API_KEY; a bad ARIZE_* value fails the worker at start. */
function lazyArizeClient(env: NodeJS.ProcessEnv): { get: () => ArizeClient; space?: string } | undefined {
  if (!env.ARIZE_API_KEY) return undefined;
  const config = arizeConfigFromEnv(env);
  let client: ArizeClient | undefined;
  return {
    get: () => (client ??= createArizeClient({ baseUrl: config.baseUrl, apiKey: config.apiKey })),
    ...(config.space ? { space: config.space } : {}),
  };
}

export async function connectWorker(config: ConnectionConfig): Promise<NativeConnection> {
  return NativeConnection.connect({
    address: config.address,
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  });
}
