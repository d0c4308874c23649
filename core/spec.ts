/**
 * The experiment spec: what a user writes (YAML/JSON, or an object in TypeScript).
 * Parsed once by the CLI before anything starts; workflows receive the parsed value.
 * Pure: imports only zod, so the client, workers and tests share it.
 */
import { z } from 'zod';

/** Durations as Temporal accepts them: milliseconds, or a number with a unit ('250ms', '30s', '5m', '2h', '1d'). */
export const durationSchema = z.union([
  z.number().int().positive(),
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, "expected a duration such as '250ms', '30s', '5m' or '2h'"),
]);
export type Duration = z.infer<typeof durationSchema>;

export const retrySchema = z
  .object({
    maximumAttempts: z.number().int().min(0).optional().describe('0 means unlimited'),
    initialInterval: durationSchema.optional(),
    backoffCoefficient: z.number().min(1).optional(),
    maximumInterval: durationSchema.optional(),
    nonRetryableErrorTypes: z.array(z.string()).optional(),
  })
  .strict();
export type RetrySpec = z.infer<typeof retrySchema>;

/** Options of one activity: a task step, the cleanup step, or an evaluator. */
export const stepOptionsSchema = z
  .object({
    timeout: durationSchema.optional().describe('start-to-close timeout of one attempt'),
    heartbeat: durationSchema.optional().describe('heartbeat timeout; the step must call ctx.heartbeat() more often'),
    retry: retrySchema.optional(),
  })
  .strict();
export type StepOptions = z.infer<typeof stepOptionsSchema>;

const columnName = z.string().min(1);

/** Column overrides of the binding rules (see the README): shared by every dataset source. */
const bindingShape = {
  idColumn: columnName.optional().describe("default: 'id' when present, else the row number"),
  inputColumn: columnName.optional(),
  expectedColumn: columnName.optional(),
  metadataColumn: columnName.optional(),
};
export type BindingSpec = { idColumn?: string; inputColumn?: string; expectedColumn?: string; metadataColumn?: string };

export const localDatasetSchema = z
  .object({
    path: z.string().min(1),
    format: z.enum(['csv', 'json', 'jsonl', 'parquet']).optional().describe('default: from the file extension'),
    ...bindingShape,
  })
  .strict();
export type LocalDatasetSpec = z.infer<typeof localDatasetSchema>;

export const arizeDatasetSchema = z
  .object({
    arize: z
      .object({
        dataset: z.string().min(1).describe('dataset name or id'),
        space: z.string().min(1).optional().describe('space name or id; default: ARIZE_SPACE'),
        version: z.string().min(1).optional().describe('dataset version id; default: the newest, pinned at start'),
      })
      .strict(),
    ...bindingShape,
  })
  .strict();
export type ArizeDatasetSpec = z.infer<typeof arizeDatasetSchema>;

/** Phoenix example ids are the run's example ids (runs link back by them): no idColumn here. */
export const phoenixDatasetSchema = z
  .object({
    phoenix: z
      .object({
        dataset: z.string({ error: 'required: the Phoenix dataset name or id' }).min(1, 'the Phoenix dataset name or id must not be empty'),
        version: z.string().min(1).optional().describe('dataset version id; default: the newest, pinned at start'),
      })
      .strict(),
    inputColumn: bindingShape.inputColumn,
    expectedColumn: bindingShape.expectedColumn,
    metadataColumn: bindingShape.metadataColumn,
  })
  .strict();
export type PhoenixDatasetSpec = z.infer<typeof phoenixDatasetSchema>;

export const datasetSchema = z.union([localDatasetSchema, arizeDatasetSchema, phoenixDatasetSchema]);
export type DatasetSpec = z.infer<typeof datasetSchema>;

export function isArizeDataset(dataset: DatasetSpec): dataset is ArizeDatasetSpec {
  return 'arize' in dataset;
}

export function isPhoenixDataset(dataset: DatasetSpec): dataset is PhoenixDatasetSpec {
  return 'phoenix' in dataset;
}

/** A dataset on a server (Arize AX or Phoenix) rather than a local file. */
export function isRemoteDataset(dataset: DatasetSpec): dataset is ArizeDatasetSpec | PhoenixDatasetSpec {
  return isArizeDataset(dataset) || isPhoenixDataset(dataset);
}

export const evaluatorRefSchema = z.union([
  z.string().min(1),
  z
    .object({
      name: z.string().min(1).optional().describe('column name in the results; default: `use`'),
      use: z.string().min(1).describe('a built-in or task-module evaluator'),
      with: z.record(z.string(), z.unknown()).optional().describe('parameters passed to the evaluator'),
    })
    .strict(),
]);
export type EvaluatorRef = z.infer<typeof evaluatorRefSchema>;

export const sampleSchema = z
  .object({
    count: z.number().int().positive().optional(),
    fraction: z.number().gt(0).max(1).optional(),
    seed: z.number().int().default(0),
    stratifyBy: columnName.optional().describe('keep each value of this column in proportion'),
  })
  .strict()
  .refine((s) => (s.count === undefined) !== (s.fraction === undefined), {
    message: 'give exactly one of count or fraction',
  });
export type SampleSpec = z.infer<typeof sampleSchema>;

/** Names become workflow IDs and folder names, so keep them to a safe alphabet. */
const experimentName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, dot, dash and underscore, starting with a letter or digit');

export const experimentSpecSchema = z
  .object({
    name: experimentName,
    description: z.string().max(2000).optional(),
    dataset: datasetSchema,
    task: z.string().min(1),
    evaluators: z.array(evaluatorRefSchema).default([]),
    concurrency: z.number().int().min(1).max(1000).default(10),
    timeout: durationSchema.default('5m').describe('default start-to-close timeout of each step'),
    heartbeat: durationSchema.optional().describe('default heartbeat timeout of steps that heartbeat'),
    retry: retrySchema.default({ maximumAttempts: 3, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' }),
    steps: z.record(z.string(), stepOptionsSchema).default({}).describe('per-step overrides, by step name'),
    evaluation: stepOptionsSchema.default({}).describe('options of every evaluator activity'),
    agent: z
      .object({
        maxTurns: z.number().int().min(1).max(500).optional().describe('model turns before an agent run fails'),
        tokenBudget: z.number().int().positive().optional().describe('total tokens of one example\'s model calls'),
      })
      .strict()
      .optional()
      .describe('limits of an agent task (override its own)'),
    dryRun: z.union([z.boolean(), z.number().int().positive()]).default(false),
    sample: sampleSchema.optional(),
    repetitions: z.number().int().min(1).max(100).default(1),
    exitOnError: z.boolean().default(false),
    budget: z
      .object({
        tokens: z.number().int().positive().optional().describe('tokens of all model calls, summed over the runs'),
        costUsd: z.number().positive().optional().describe('cost of all model calls in USD (models with a price)'),
        maxFailures: z.number().int().min(0).optional().describe('failed runs allowed; one more pauses'),
        maxFailureRate: z.number().gt(0).max(1).optional().describe('share of failed runs allowed, judged from 10 runs on'),
        onLimit: z.enum(['pause', 'stop']).default('pause').describe('what a reached limit does: pause (resume with --raise-budget) or stop (fail)'),
      })
      .strict()
      .refine((b) => b.tokens !== undefined || b.costUsd !== undefined || b.maxFailures !== undefined || b.maxFailureRate !== undefined, {
        message: 'give at least one of tokens, costUsd, maxFailures, maxFailureRate',
      })
      .optional(),
    taskQueue: z.string().min(1).optional().describe('default: the worker default, dxp-experiments'),
    flushEvery: z.number().int().min(1).max(1000).default(100).describe('runs per results-sink batch'),
  })
  .strict();

/** What the user writes. */
export type ExperimentSpecInput = z.input<typeof experimentSpecSchema>;
/** What the pipeline runs: defaults applied. */
export type ExperimentSpec = z.output<typeof experimentSpecSchema>;


/** Name of an evaluator as it appears in results. */
export function evaluatorColumn(ref: EvaluatorRef): string {
  return typeof ref === 'string' ? ref : (ref.name ?? ref.use);
}
