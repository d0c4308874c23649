export { openLocalDataset, type DatasetPage, type DatasetReader } from './local-file';
export { isSampled, planSample, type SamplePlan } from './sampling';
