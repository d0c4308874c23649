export { openLocalDataset, type DatasetPage, type DatasetReader } from './local-file';
export { isSampled, planSample, type SamplePlan } from './sampling';
export { createDatasetSources, DatasetConfigError, type DatasetSources, type DatasetSourceDeps } from './sources';
