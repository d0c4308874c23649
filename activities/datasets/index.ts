export { openLocalDataset } from './local-file';
export type { DatasetPage, DatasetReader } from './reader';
export { isSampled, planSample, type SamplePlan } from './sampling';
export { createDatasetSources, DatasetConfigError, type DatasetSources, type DatasetSourceDeps } from './sources';
