/**
 * Response bodies of the Phoenix REST v1 endpoints the client calls (arize-phoenix 20.x, from its
 * /openapi.json): strict on the fields dxp reads, loose about the rest. Every body is `{ data }`.
 */
import { z } from 'zod';

const nextCursor = z.string().nullish();

export const datasetSchema = z.looseObject({ id: z.string().min(1), name: z.string() });
export const getDatasetSchema = z.looseObject({ data: datasetSchema });
export const listDatasetsSchema = z.looseObject({ data: z.array(datasetSchema), next_cursor: nextCursor });

export const versionSchema = z.looseObject({ version_id: z.string().min(1), created_at: z.string().optional() });
export const listVersionsSchema = z.looseObject({ data: z.array(versionSchema), next_cursor: nextCursor });

/** `input`, `output` and `metadata` are objects in Phoenix. */
export const exampleSchema = z.looseObject({
  id: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  output: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
});
/** GET /v1/datasets/{id}/examples: the whole version in one body (the endpoint has no pages). */
export const listExamplesSchema = z.looseObject({
  data: z.looseObject({ dataset_id: z.string(), version_id: z.string(), examples: z.array(exampleSchema) }),
});

export const experimentSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  dataset_id: z.string(),
  dataset_version_id: z.string(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  created_at: z.string().optional(),
});
export const getExperimentSchema = z.looseObject({ data: experimentSchema });
export const listProjectsSchema = z.looseObject({ data: z.array(z.looseObject({ id: z.string().min(1), name: z.string() })), next_cursor: nextCursor });
export const listExperimentsSchema = z.looseObject({ data: z.array(experimentSchema), next_cursor: nextCursor });

export const runSchema = z.looseObject({
  id: z.string().min(1),
  dataset_example_id: z.string(),
  repetition_number: z.number().int(),
  output: z.unknown(),
  error: z.string().nullish(),
  trace_id: z.string().nullish(),
  start_time: z.string(),
  end_time: z.string(),
});
export const listRunsSchema = z.looseObject({ data: z.array(runSchema), next_cursor: nextCursor });

/** GET /v1/experiments/{id}/json: every run with its example's input and reference output and its evaluations. */
export const exportedRunsSchema = z.array(
  z.looseObject({
    example_id: z.string(),
    repetition_number: z.number().int(),
    input: z.unknown(),
    reference_output: z.unknown(),
    output: z.unknown(),
    error: z.string().nullish(),
    latency_ms: z.number().nullish(),
    start_time: z.string(),
    end_time: z.string(),
    trace_id: z.string().nullish(),
    annotations: z.array(
      z.looseObject({
        name: z.string(),
        score: z.number().nullish(),
        label: z.string().nullish(),
        explanation: z.string().nullish(),
        error: z.string().nullish(),
      }),
    ),
  }),
);

/** POST /v1/experiments/{id}/runs and POST /v1/experiment_evaluations answer with the new id. */
export const createdSchema = z.looseObject({ data: z.looseObject({ id: z.string().min(1) }) });
