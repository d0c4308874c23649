/** The only `workflowsPath`: every workflow type this project registers, by name. */
export { experiment } from './experiment';
export { example } from './example';
export { logExperiment } from './log-experiment';
