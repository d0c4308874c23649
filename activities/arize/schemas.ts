/**
 * Response bodies of the Arize REST v2 endpoints the client calls. Strict on the fields dxp
 * reads, loose about everything else (the API adds fields; runs and examples carry user columns).
 * test/arize-client.test.ts checks that every body the OpenAPI types allow still parses.
 */
import { z } from 'zod';

/** `pagination` of every list response; `next_cursor` is present when `has_more` is true. */
export const paginationSchema = z
  .looseObject({ has_more: z.boolean(), next_cursor: z.string().nullish() })
  .refine((p) => !p.has_more || (typeof p.next_cursor === 'string' && p.next_cursor !== ''), {
    message: 'has_more is true but next_cursor is missing',
    path: ['next_cursor'],
  });

/** A space (GET /v2/spaces/{id} and items of GET /v2/spaces). */
export const spaceSchema = z.looseObject({ id: z.string().min(1), name: z.string() });

/** GET /v2/spaces. */
export const listSpacesSchema = z.looseObject({ spaces: z.array(spaceSchema), pagination: paginationSchema });

/** A dataset version; the API lists them newest first. */
export const datasetVersionSchema = z.looseObject({ id: z.string().min(1), created_at: z.string().optional() });

/** A dataset; `versions` comes only from GET /v2/datasets/{id}. */
export const datasetSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  space_id: z.string(),
  versions: z.array(datasetVersionSchema).optional(),
});

/** GET /v2/datasets. */
export const listDatasetsSchema = z.looseObject({ datasets: z.array(datasetSchema), pagination: paginationSchema });

/** A dataset example: system fields plus user columns. */
export const exampleSchema = z.looseObject({
  id: z.string().min(1),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
});

/** GET /v2/datasets/{id}/examples. */
export const listExamplesSchema = z.looseObject({ examples: z.array(exampleSchema), pagination: paginationSchema });

/** An experiment. dxp only works with experiments on a dataset, so `dataset_id` is required here. */
export const experimentSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  dataset_id: z.string({ error: 'the experiment is not associated with a dataset (dxp needs one)' }),
  dataset_version_id: z.string().nullish(),
  space_id: z.string().optional(),
  created_at: z.string().optional(),
});

/** GET /v2/experiments. */
export const listExperimentsSchema = z.looseObject({
  experiments: z.array(experimentSchema),
  pagination: paginationSchema,
});

/** POST /v2/experiments/{id}/runs: the experiment plus the new run ids in input order. */
export const experimentWithRunIdsSchema = experimentSchema.extend({ run_ids: z.array(z.string().min(1)) });

/** A listed run. `output` is null when the task errored; the client maps that to "". */
export const experimentRunSchema = z.looseObject({
  id: z.string().min(1),
  example_id: z.string({ error: 'the run has no example_id (dxp only reads dataset experiments)' }),
  output: z.string().nullish(),
});

/** GET /v2/experiments/{id}/runs. */
export const listRunsSchema = z.looseObject({
  experiment_runs: z.array(experimentRunSchema),
  pagination: paginationSchema,
});

/** RFC 9457 problem details; parsed leniently because error bodies are only used for messages. */
export const problemSchema = z.looseObject({
  status: z.number().optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
  error_code: z.string().optional(),
});

/** A parsed problem body. */
export type Problem = z.infer<typeof problemSchema>;
