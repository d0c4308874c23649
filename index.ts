/**
 * The package's public API: authoring tasks and evaluators, specs, and starting experiments
 * from TypeScript. The CLI (`dxp`) is built on the same functions.
 */
export { defineTasks, NonRetryableError } from './activities/tasks/define';
export type {
  CleanupContext,
  EvaluatorArgs,
  EvaluatorContext,
  EvaluatorDefinition,
  EvaluatorFn,
  EvaluatorReturn,
  MultiStepTask,
  RunContext,
  ScoredRun,
  SimpleTask,
  StepContext,
  StepDefinition,
  TaskDefinition,
  TaskModule,
} from './activities/tasks/define';
export { defineExperiment, type Experiment, type ExperimentDefinition } from './activities/tasks/define-experiment';
export { contains, exactMatch, jsonParses, regex } from './activities/tasks/evaluator-factories';
export type { CaseOptions, ContainsOptions, ExactMatchOptions, RegexOptions } from './activities/tasks/evaluator-factories';
export { defineAgent } from './activities/tasks/agent';
export type { AgentDefinition, AgentModelOptions, AgentResult, AgentTask, AgentTool, ToolContext } from './activities/tasks/agent';
export { experimentSpecSchema, type ExperimentSpec, type ExperimentSpecInput } from './core/spec';
export type { AgentStats, EvaluationResult, ExperimentSummary, RunRecord } from './core/records';
export { parseSpec, loadSpecFile, SpecError } from './client/spec-file';
export { connectClient, startExperiment, getExperimentHandle, queryProgress } from './client/experiments';
export { connectionConfigFromEnv } from './connection/config';
export { llmJudge, createModelClient, defaultModelClient, modelConfigFromEnv, ModelApiError, toActivityFailure } from './activities/model';
export { withStepScope, type StepScope } from './activities/tasks/step-scope';
export { useSandboxProvider, workerSandboxProvider } from './activities/sandbox/from-env';
export { createSandboxProvider, withSandbox, SandboxError, DEFAULT_SANDBOX_LIMITS, WEAK_ISOLATION_WARNING } from './activities/sandbox';
export type { ProvisionOptions, RunOptions, Sandbox, SandboxLimits, SandboxProvider, RunResult } from './activities/sandbox';
export { dataConverterFromEnv, FAILURE_CONVERTER_PATH } from './connection/codec/data-converter';
export { startTracingFromEnv, type TracingLease } from './connection/process-tracing';
export { TracingConfigError } from './connection/tracing-config';
export { pauseExperiment, resumeExperiment, OperationRefusedError, type PauseOutcome, type PauseState } from './client/operate';
