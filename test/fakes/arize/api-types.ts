/** The generated OpenAPI types of Arize REST v2 (from @arizeai/ax-client, type-only) and short names for the ones the fake serves. */
import type { components, operations } from '@arizeai/ax-client/dist/src/__generated__/api/v2';

export type { components, operations };

type Schemas = components['schemas'];
export type Space = Schemas['Space'];
export type Dataset = Schemas['Dataset'];
export type DatasetVersion = Schemas['DatasetVersion'];
export type DatasetExample = Schemas['DatasetExample'];
export type Experiment = Schemas['Experiment'];
export type ExperimentWithRunIds = Schemas['ExperimentWithRunIds'];
export type ExperimentRun = Schemas['ExperimentRun'];
export type Problem = Schemas['Problem'];
export type PaginationMetadata = Schemas['PaginationMetadata'];
