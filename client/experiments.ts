/**
 * Starting, attaching to, and reading experiments: the client-side API that `dxp` uses and
 * that TypeScript callers can use directly.
 */
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import { TypedSearchAttributes, type DataConverter } from '@temporalio/common';
import type { experiment } from '../workflows/experiment';
import { DEFAULT_TASK_QUEUE, EXPERIMENT_WORKFLOW_TASK_TIMEOUT, EXPERIMENT_WORKFLOW_TYPE, experimentWorkflowId, progressQuery, type ExperimentInput, type ExperimentProgress } from '../workflows/experiment-contract';
import { EXPERIMENT_NAME, RUN_STATUS } from '../workflows/search-attributes';
import { isArizeDataset, isPhoenixDataset, type DatasetSpec, type ExperimentSpec } from '../core/spec';
import { dryRunCap } from '../core/dry-run';
import { dataConverterFromEnv } from '../connection/codec/data-converter';
import type { ConnectionConfig } from '../connection/config';
import { tracingConfigFromEnv } from '../connection/tracing-config';

export type ExperimentHandle = WorkflowHandle<typeof experiment>;

/**
 * `dataConverter`: encrypted payloads (see client/codec), by default as DXP_CODEC_KEYS or
 * DXP_CODEC_KEY_FILE say; it must match the workers'. A bad key setting throws ConfigError.
 */
export async function connectClient(config: ConnectionConfig, dataConverter: DataConverter | undefined = dataConverterFromEnv()): Promise<Client> {
  const connection = await Connection.connect({
    address: config.address,
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    connectTimeout: 5_000,
  });
  const interceptors = tracingInterceptors();
  return new Client({ connection, namespace: config.namespace, ...(dataConverter ? { dataConverter } : {}), ...(interceptors ? { interceptors } : {}) });
}

/**
 * With tracing configured, a start is a span and its context goes to the workflow in the headers
 * (the tracer is the process's: a no-op until a command such as `dxp run` starts tracing). The
 * interceptors load only then, so a CLI without tracing starts as fast as before. A bad setting
 * adds none here: the commands that trace refuse it before they connect.
 */
function tracingInterceptors(): ReturnType<typeof import('../workers/tracing').tracingClientInterceptors> | undefined {
  try {
    if (!tracingConfigFromEnv().enabled) return undefined;
  } catch {
    return undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when tracing is on
  return (require('../workers/tracing') as typeof import('../workers/tracing')).tracingClientInterceptors();
}

export interface StartResult {
  handle: ExperimentHandle;
  /** False when an experiment of this name already existed and we attached to it. */
  started: boolean;
}

/** Starts the experiment, or attaches to the one of the same name (running or finished). */
export async function startExperiment(client: Client, spec: ExperimentSpec, taskQueue = spec.taskQueue ?? DEFAULT_TASK_QUEUE): Promise<StartResult> {
  const workflowId = experimentWorkflowId(spec.name);
  try {
    const handle = await client.workflow.start<typeof experiment>(EXPERIMENT_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [{ spec }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowTaskTimeout: EXPERIMENT_WORKFLOW_TASK_TIMEOUT,
      typedSearchAttributes: new TypedSearchAttributes([
        { key: EXPERIMENT_NAME, value: spec.name },
        { key: RUN_STATUS, value: 'running' },
      ]),
      staticSummary: `experiment ${spec.name}: task ${spec.task} over ${describeDataset(spec.dataset)}`,
      staticDetails: describeSpec(spec),
    });
    return { handle, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { handle: client.workflow.getHandle<typeof experiment>(workflowId), started: false };
    }
    throw err;
  }
}

/** Accepts an experiment name or its full workflow id. */
export function getExperimentHandle(client: Client, nameOrId: string): ExperimentHandle {
  const workflowId = nameOrId.startsWith('experiment/') ? nameOrId : experimentWorkflowId(nameOrId);
  return client.workflow.getHandle<typeof experiment>(workflowId);
}

/** The spec an experiment's current run was started with (the first event of its history). */
export async function readStartedSpec(client: Client, workflowId: string): Promise<{ spec: ExperimentSpec }> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId },
    maximumPageSize: 1,
  });
  const payload = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error(`workflow ${workflowId} has no start event with an input`);
  // Raw history: an encrypted input goes through the client's codecs (last one first), as the SDK's own reads do.
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  let decoded = [payload];
  for (const codec of [...payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return { spec: payloadConverter.fromPayload<ExperimentInput>(decoded[0]!).spec };
}

/** Dotted paths where two specs differ (`concurrency`, `dataset.path`, `evaluators`): arrays compare whole. */
export function specDifferences(a: unknown, b: unknown, prefix = ''): string[] {
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => specDifferences(a[key], b[key], prefix ? `${prefix}.${key}` : key));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix || '(spec)'];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function queryProgress(handle: ExperimentHandle): Promise<ExperimentProgress> {
  return handle.query(progressQuery);
}

function describeSpec(spec: ExperimentSpec): string {
  const evaluators = spec.evaluators.map((e) => (typeof e === 'string' ? e : (e.name ?? e.use))).join(', ') || 'none';
  return [
    `**task** ${spec.task}`,
    `**dataset** ${describeDataset(spec.dataset)}`,
    `**evaluators** ${evaluators}`,
    `**concurrency** ${spec.concurrency}, **repetitions** ${spec.repetitions}`,
    spec.dryRun !== false ? `**dry run** ${dryRunCap(spec.dryRun)} examples` : '',
    spec.sample ? `**sample** ${JSON.stringify(spec.sample)}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export function describeDataset(dataset: DatasetSpec): string {
  if (isPhoenixDataset(dataset)) return `Phoenix dataset ${dataset.phoenix.dataset}${dataset.phoenix.version ? ` (version ${dataset.phoenix.version})` : ''}`;
  if (!isArizeDataset(dataset)) return dataset.path;
  const { space, dataset: name, version } = dataset.arize;
  return `Arize dataset ${space ? `${space}/` : ''}${name}${version ? ` (version ${version})` : ''}`;
}
