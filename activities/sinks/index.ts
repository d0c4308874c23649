export type { AppendResult, ExperimentMeta, ResultsSink, ResultsStore } from './results-sink';
export { MAX_LISTED_FAILURES, createSummaryBuilder, summarizeRuns } from './summary';
export type { SummaryBuilder, SummaryInfo } from './summary';
export { assertExperimentId, createLocalStore, type LocalStore } from './local-store';
export { describeStore, openResultsStore, resultsStoreConfig, type ResultsStoreConfig } from './store-config';
