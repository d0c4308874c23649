/**
 * Builds a dxp worker: the experiment and example workflows plus every activity on the task
 * queue, the same activities on the model task queue, where model-bound ones are routed, and on
 * its results store's task queue, where an experiment's store calls are routed.
 */
import { createHash } from 'node:crypto';
import type { Duration } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, createRegistry, loadTaskModule } from '../activities';
import { arizeConfigFromEnv, createArizeClient } from '../activities/arize';
import type { ArizeClient } from '../activities/arize/types';
import { createDatasetSources } from '../activities/datasets';
import { lazyModelClient } from '../activities/model/default-client';
import { sandboxSourceFromEnv, sandboxSourceOf } from '../activities/sandbox/from-env';
import { openResultsStore } from '../activities/sinks';
import type { TaskModule } from '../activities/tasks/define';
import { dataConverterFromEnv } from '../connection/codec/data-converter';
import { requireEncodedFailures } from '../connection/codec/workflow-bundle';
import type { ConnectionConfig } from '../connection/config';
import { acquireTracing } from '../connection/process-tracing';
import { tracingConfigFromEnv } from '../connection/tracing-config';
import { tracingWorkerOptions, WORKFLOW_TRACING_MODULES } from './tracing';
import type { WorkerSettings } from './config';
import { bundlerLogger } from './logger';
import { lazyPhoenixClient } from './phoenix-client';
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
  /** Where ARIZE_* and DXP_CODEC_* settings come from; default: process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Where the model client's settings (OPENAI_BASE_URL, OPENAI_API_KEY, DXP_MODEL, DXP_MODEL_PRICES)
   * and DXP_SANDBOX come from; default: process.env, read when first used.
   */
  serviceEnv?: NodeJS.ProcessEnv;
}

export async function createWorker(options: CreateWorkerOptions): Promise<DxpWorker> {
  const { settings } = options;
  // DXP_CODEC_KEYS / DXP_CODEC_KEY_FILE: every payload encrypted, failure messages too; unset, none is.
  const dataConverter = dataConverterFromEnv(options.env ?? process.env);
  const modules = [...(settings.tasksModule ? [loadTaskModule(settings.tasksModule)] : []), ...(options.modules ?? [])];
  const registry = createRegistry(...modules);
  // This worker's own services, passed to its activities: a module's sandbox provider (Docker,
  // remote; the last one given wins) replaces DXP_SANDBOX's, for this worker only.
  const serviceEnv = options.serviceEnv ?? process.env;
  const ownSandboxes = modules.filter((m) => m.sandboxProvider).at(-1)?.sandboxProvider;
  const sandboxes = ownSandboxes ? sandboxSourceOf(ownSandboxes) : sandboxSourceFromEnv(serviceEnv);
  const model = lazyModelClient(serviceEnv);
  // OTEL_EXPORTER_OTLP_* or DXP_TRACING: spans of every workflow and activity; none set, no cost.
  const tracingConfig = tracingConfigFromEnv(serviceEnv);
  const lease = tracingConfig.enabled ? acquireTracing(tracingConfig, (level, message) => Runtime.instance().logger[level](message)) : undefined;
  const tracing = lease?.tracing;
  // The store's migration runs here, at start: a database a worker cannot reach fails it now.
  const sink = await openResultsStore(settings.resultsStore, {
    migrate: true,
    onIdleError: (err) => Runtime.instance().logger.warn(`results store: an idle connection was dropped (${err.message}); it is replaced on next use`),
  });
  const resultsTaskQueue = resultsTaskQueueOf(settings.taskQueue, sink.identity);
  const arize = lazyArizeClient(options.env ?? process.env);
  const phoenix = lazyPhoenixClient(options.env ?? process.env);
  const workflowBundle =
    options.workflowBundle ?? (settings.workflowBundlePath ? { codePath: settings.workflowBundlePath } : undefined);
  // One object for both queues: the workflow's activity options decide where each call runs.
  const activities = createActivities({
    registry,
    sink,
    datasets: createDatasetSources({
      ...(options.datasetBaseDir ? { baseDir: options.datasetBaseDir } : {}),
      ...(arize ? { arize: arize.get, ...(arize.space ? { defaultSpace: arize.space } : {}) } : {}),
      ...(phoenix ? { phoenix: phoenix.get } : {}),
    }),
    ...(arize ? { arize: arize.get } : {}),
    ...(phoenix ? { phoenix: phoenix.get } : {}),
    modelTaskQueue: settings.modelTaskQueue,
    resultsTaskQueue,
    model: model.get,
    sandboxes,
  });
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    activities,
    shutdownGraceTime: settings.shutdownGraceTime as Duration,
    // Cancellation reaches an activity only with a heartbeat's reply: keep that gap short.
    maxHeartbeatThrottleInterval: settings.heartbeatThrottle as Duration,
    defaultHeartbeatThrottleInterval: settings.heartbeatThrottle as Duration,
    ...(dataConverter ? { dataConverter } : {}),
    ...(tracing ? tracingWorkerOptions(tracing) : {}),
  } satisfies Partial<WorkerOptions>;
  try {
    const modelWorker = await Worker.create({
      ...common,
      taskQueue: settings.modelTaskQueue,
      maxConcurrentActivityTaskExecutions: settings.maxModelCalls,
      // Enforced by the server for the whole queue, so it holds across every worker polling it.
      ...(settings.modelRate !== undefined ? { maxTaskQueueActivitiesPerSecond: settings.modelRate } : {}),
    });
    let results: Worker | undefined;
    let main: Worker;
    try {
      results = await Worker.create({ ...common, taskQueue: resultsTaskQueue, maxConcurrentActivityTaskExecutions: RESULTS_CONCURRENCY });
      main = await Worker.create(await bundledQuietly(tracing ? WORKFLOW_TRACING_MODULES : [], {
        ...common,
        taskQueue: settings.taskQueue,
        ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
        maxConcurrentActivityTaskExecutions: settings.maxConcurrentActivities,
        maxConcurrentWorkflowTaskExecutions: settings.maxConcurrentWorkflowTasks,
        ...(settings.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: settings.maxCachedWorkflows } : {}),
      }));
    } catch (err) {
      await disposeUnstarted(modelWorker, ...(results ? [results] : []));
      throw err;
    }
    // The store's connections and the model client close once all have drained: the last activities still use them.
    return combineWorkers(
      { main, model: modelWorker, results },
      { afterStop: () => Promise.all([sink.close(), model.close(), phoenix?.close(), lease?.release()]).then(() => undefined) },
    );
  } catch (err) {
    await sink.close().catch(() => undefined);
    await lease?.release();
    throw err;
  }
}

/** Store calls of one experiment at a time are few (one batch in flight); several experiments share it. */
const RESULTS_CONCURRENCY = 20;

/**
 * The task queue of a results store's activities: workers share it exactly when they share the
 * store (the same database, or the same folder on the same machine).
 */
export function resultsTaskQueueOf(taskQueue: string, storeIdentity: string): string {
  return `${taskQueue}-results-${createHash('sha256').update(storeIdentity).digest('hex').slice(0, 16)}`;
}

/**
 * Bundles `workflowsPath` here rather than in Worker.create, whose bundler logs its webpack report
 * at INFO on every start: the same bundle, with that report at DEBUG.
 */
async function bundledQuietly(workflowInterceptorModules: string[], options: WorkerOptions): Promise<WorkerOptions> {
  // Workflows encode their failures' messages in the sandbox: with a codec, the bundle carries its failure converter.
  const failureConverterPath = options.dataConverter?.failureConverterPath;
  if (options.workflowBundle && failureConverterPath) await requireEncodedFailures(options.workflowBundle);
  if (options.workflowBundle || !options.workflowsPath) return options;
  const { workflowsPath, ...rest } = options;
  const logger = bundlerLogger(Runtime.instance().logger);
  // A prebuilt bundle (DXP_WORKFLOW_BUNDLE, tests) has what it was built with: trace with one built with WORKFLOW_TRACING_MODULES.
  return {
    ...rest,
    workflowBundle: await bundleWorkflowCode({ workflowsPath, logger, workflowInterceptorModules, ...(failureConverterPath ? { failureConverterPath } : {}) }),
  };
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
