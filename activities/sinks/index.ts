export type { AppendResult, ExperimentMeta, ResultsSink } from './results-sink';
export { MAX_LISTED_FAILURES, createSummaryBuilder, summarizeRuns } from './summary';
export type { SummaryBuilder, SummaryInfo } from './summary';
export { assertExperimentId, createLocalStore, type LocalStore } from './local-store';
