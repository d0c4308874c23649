/** Builds a dxp worker: the experiment and example workflows plus every activity. */
import type { Duration } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, createRegistry, loadTaskModule } from '../activities';
import { arizeConfigFromEnv, createArizeClient } from '../activities/arize';
import type { ArizeClient } from '../activities/arize/types';
import { createDatasetSources } from '../activities/datasets';
import { createLocalStore } from '../activities/sinks';
import type { TaskModule } from '../activities/tasks/define';
import type { ConnectionConfig } from '../client/connection-config';
import type { WorkerSettings } from './config';

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

export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const { settings } = options;
  const modules = [...(settings.tasksModule ? [loadTaskModule(settings.tasksModule)] : []), ...(options.modules ?? [])];
  const registry = createRegistry(...modules);
  const sink = createLocalStore(settings.dataDir);
  const arize = lazyArizeClient(options.env ?? process.env);
  const workflowBundle =
    options.workflowBundle ?? (settings.workflowBundlePath ? { codePath: settings.workflowBundlePath } : undefined);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: settings.taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({
      registry,
      sink,
      datasets: createDatasetSources({
        ...(options.datasetBaseDir ? { baseDir: options.datasetBaseDir } : {}),
        ...(arize ? { arize: arize.get, ...(arize.space ? { defaultSpace: arize.space } : {}) } : {}),
      }),
      ...(arize ? { arize: arize.get } : {}),
    }),
    shutdownGraceTime: settings.shutdownGraceTime as Duration,
    maxConcurrentActivityTaskExecutions: settings.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: settings.maxConcurrentWorkflowTasks,
    // Cancellation reaches an activity only with a heartbeat's reply: keep that gap short.
    maxHeartbeatThrottleInterval: settings.heartbeatThrottle as Duration,
    defaultHeartbeatThrottleInterval: settings.heartbeatThrottle as Duration,
  });
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
