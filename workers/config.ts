/**
 * Worker settings from flags and the environment, parsed once; every bad value is named.
 * Secrets (TEMPORAL_API_KEY, model keys) stay in this process: never in workflow inputs.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { modelConfigFromEnv } from '../activities/model/config';
import { phoenixConfigFromEnv } from '../activities/phoenix/config';
import { sandboxModeFromEnv } from '../activities/sandbox/from-env';
import { codecKeysFromEnv } from '../connection/codec/keys';
import { tracingConfigFromEnv } from '../connection/tracing-config';
import { resultsStoreConfig, type ResultsStoreConfig } from '../activities/sinks/store-config';
import { DEFAULT_TASK_QUEUE } from '../workflows/experiment-contract';
import { durationSchema } from '../core/spec';

const workerEnvSchema = z.object({
  DXP_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  /** Task queue of model-bound activities (LLM judges); default `<task queue>-model`. */
  DXP_MODEL_TASK_QUEUE: z.string().min(1).optional(),
  /** Model calls per second across every worker of the model queue (enforced by the server); unset = no limit. */
  DXP_MODEL_RATE: z.coerce.number().positive().optional(),
  DXP_MAX_MODEL_CALLS: z.coerce.number().int().min(1).default(20),
  DXP_TASKS: z.string().min(1).optional(),
  DXP_DATA_DIR: z.string().min(1).default('.dxp'),
  /** postgres://user:password@host:port/database: the results store every worker shares; unset = files under DXP_DATA_DIR. */
  DXP_RESULTS_URL: z.string().optional(),
  DXP_SHUTDOWN_GRACE: durationSchema.default('30s'),
  DXP_MAX_ACTIVITIES: z.coerce.number().int().min(1).default(100),
  DXP_MAX_WORKFLOW_TASKS: z.coerce.number().int().min(2).default(40),
  /** Workflows kept in the worker's cache (sticky execution); 0 replays every workflow task. Default: the SDK's. */
  DXP_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  /** Longest gap between heartbeats sent to the server: it bounds how late a cancellation reaches a running step. */
  DXP_HEARTBEAT_THROTTLE: durationSchema.default('2s'),
  /** A prebuilt workflow bundle (see `dxp bundle`); default: bundle at start. */
  DXP_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  DXP_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
});

export interface WorkerSettings {
  taskQueue: string;
  /** Where model-bound activities run, under `modelRate`. */
  modelTaskQueue: string;
  /** Activities per second of the model queue, server-side: every worker of that queue must set the same value. */
  modelRate?: number;
  /** Concurrent model-queue activities in this worker. */
  maxModelCalls: number;
  tasksModule?: string;
  dataDir: string;
  /** Where run records go: PostgreSQL (DXP_RESULTS_URL) or the files under dataDir. */
  resultsStore: ResultsStoreConfig;
  shutdownGraceTime: z.infer<typeof durationSchema>;
  maxConcurrentActivities: number;
  maxConcurrentWorkflowTasks: number;
  maxCachedWorkflows?: number;
  heartbeatThrottle: z.infer<typeof durationSchema>;
  workflowBundlePath?: string;
  logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

export interface WorkerFlags {
  tasks?: string;
  taskQueue?: string;
  dataDir?: string;
}

export function workerSettings(flags: WorkerFlags = {}, env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const parsed = workerEnvSchema.safeParse(env);
  const dataDir = resolve(flags.dataDir ?? env.DXP_DATA_DIR ?? '.dxp');
  const problems = [
    problemOf(() => modelConfigFromEnv(env))?.replace(/^model configuration: /, ''),
    problemOf(() => sandboxModeFromEnv(env)),
    // Payload keys are read again by createWorker; a bad one names its variable, never the key.
    problemOf(() => codecKeysFromEnv(env)),
    problemOf(() => resultsStoreConfig(env, dataDir)),
    problemOf(() => tracingConfigFromEnv(env)),
    problemOf(() => phoenixConfigFromEnv(env)),
  ].filter((p): p is string => p !== undefined);
  if (!parsed.success || problems.length > 0) {
    const issues = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`worker configuration: ${[...issues, ...problems].join('; ')}`);
  }
  const e = parsed.data;
  const tasks = flags.tasks ?? e.DXP_TASKS;
  const taskQueue = flags.taskQueue ?? e.DXP_TASK_QUEUE;
  const modelTaskQueue = e.DXP_MODEL_TASK_QUEUE ?? defaultModelTaskQueue(taskQueue);
  // One queue for both would put every activity under the model rate limit.
  if (modelTaskQueue === taskQueue) throw new Error(`worker configuration: DXP_MODEL_TASK_QUEUE must differ from the task queue (${taskQueue})`);
  return {
    taskQueue,
    modelTaskQueue,
    ...(e.DXP_MODEL_RATE !== undefined ? { modelRate: e.DXP_MODEL_RATE } : {}),
    maxModelCalls: e.DXP_MAX_MODEL_CALLS,
    ...(tasks ? { tasksModule: resolve(tasks) } : {}),
    dataDir,
    resultsStore: resultsStoreConfig(env, dataDir),
    shutdownGraceTime: e.DXP_SHUTDOWN_GRACE,
    maxConcurrentActivities: e.DXP_MAX_ACTIVITIES,
    maxConcurrentWorkflowTasks: e.DXP_MAX_WORKFLOW_TASKS,
    ...(e.DXP_MAX_CACHED_WORKFLOWS !== undefined ? { maxCachedWorkflows: e.DXP_MAX_CACHED_WORKFLOWS } : {}),
    heartbeatThrottle: e.DXP_HEARTBEAT_THROTTLE,
    ...(e.DXP_WORKFLOW_BUNDLE ? { workflowBundlePath: resolve(e.DXP_WORKFLOW_BUNDLE) } : {}),
    logLevel: e.DXP_LOG_LEVEL,
  };
}

export function defaultModelTaskQueue(taskQueue: string): string {
  return `${taskQueue}-model`;
}

/**
 * Settings read on first use (model, sandbox, payload keys, results store) are checked here too, so
 * a wrong one stops the worker at start: the reader's error message, or undefined when it is fine.
 */
function problemOf(read: () => unknown): string | undefined {
  try {
    read();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Variables the worker reads: docker-compose.yml is checked against this list. */
export const WORKER_ENV_VARS = [
  ...Object.keys(workerEnvSchema.shape),
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_PROFILE',
  'ARIZE_API_KEY',
  'ARIZE_BASE_URL',
  'ARIZE_SPACE',
  'PHOENIX_BASE_URL',
  'PHOENIX_HOST',
  'OPENAI_BASE_URL',
  'OPENAI_API_KEY',
  'DXP_MODEL',
  'DXP_MODEL_PRICES',
  'DXP_SANDBOX',
  'DXP_CODEC_KEYS',
  'DXP_CODEC_KEY_FILE',
  'DXP_TRACING',
  'DXP_TRACE_PROJECT',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_SERVICE_NAME',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_SDK_DISABLED',
  'PHOENIX_COLLECTOR_ENDPOINT',
  'PHOENIX_API_KEY',
  'ARIZE_SPACE_ID',
] as const;
