/**
 * Request schemas of the fake, written to match the OpenAPI types of @arizeai/ax-client exactly:
 * test/arize-fake.test.ts compares each `z.infer` with the generated type, so drift fails tsc.
 * Runtime rules the types cannot express (limits, 1..1000 runs, one of dataset_id/space_id) are
 * the documented ones.
 */
import { z } from 'zod';

/** Maximum `limit` per list endpoint, as documented (`LimitQueryParamMax100`, `...Max500`). */
export const MAX_LIMIT = { spaces: 100, datasets: 100, experiments: 100, examples: 500, runs: 500 } as const;
/** `limit` when the request gives none. */
export const DEFAULT_LIMIT = 50;
/** Runs per create or append request. */
export const MAX_RUNS = 1000;

const limit = (max: number) => z.coerce.number().int().min(1).max(max);

/** GET /v2/spaces query. */
export const listSpacesQuery = z.strictObject({
  org_id: z.string().optional(),
  name: z.string().optional(),
  limit: limit(MAX_LIMIT.spaces).optional(),
  cursor: z.string().optional(),
});

/** GET /v2/datasets query. */
export const listDatasetsQuery = z.strictObject({
  space_id: z.string().optional(),
  space_name: z.string().optional(),
  name: z.string().optional(),
  limit: limit(MAX_LIMIT.datasets).optional(),
  cursor: z.string().optional(),
});

/** GET /v2/datasets/{dataset_id}/examples query. */
export const listExamplesQuery = z.strictObject({
  dataset_version_id: z.string().optional(),
  limit: limit(MAX_LIMIT.examples).optional(),
  cursor: z.string().optional(),
});

/** GET /v2/experiments query; `dataset_id` and `space_id` together are a validation error. */
export const listExperimentsQuery = z
  .strictObject({
    dataset_id: z.string().optional(),
    space_id: z.string().optional(),
    name: z.string().optional(),
    limit: limit(MAX_LIMIT.experiments).optional(),
    cursor: z.string().optional(),
  })
  .refine((q) => q.dataset_id === undefined || q.space_id === undefined, {
    message: 'provide at most one of dataset_id and space_id',
  });

/** GET /v2/experiments/{experiment_id}/runs query. */
export const listRunsQuery = z.strictObject({
  limit: limit(MAX_LIMIT.runs).optional(),
  cursor: z.string().optional(),
});

/** `ExperimentRunInput`: `output` is a string; any other key becomes a run column. */
export const experimentRunInput = z.looseObject({
  example_id: z.string().nullable().optional(),
  output: z.string(),
});

const experimentRuns = z.array(experimentRunInput).min(1).max(MAX_RUNS);

/** POST /v2/experiments body (`CreateExperimentRequest`). */
export const createExperimentBody = z
  .strictObject({
    name: z.string().min(1),
    dataset_id: z.string().nullable().optional(),
    space_id: z.string().nullable().optional(),
    experiment_runs: experimentRuns,
  })
  .refine((b) => (b.dataset_id == null) !== (b.space_id == null), {
    message: 'provide exactly one of dataset_id and space_id',
  });

/** POST /v2/experiments/{experiment_id}/runs body (`InsertExperimentRunsRequest`). */
export const insertRunsBody = z.strictObject({ experiment_runs: experimentRuns });
