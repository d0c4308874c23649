/** Contract of the `example` workflow: one (example, repetition) through the task and evaluators. */
import type { Example, RunRecord, TaskPlan } from './records';

export const EXAMPLE_WORKFLOW_TYPE = 'example';

export interface ExampleInput {
  experimentId: string;
  /** Workflow id of the experiment to report back to (it may have continued as new). */
  parentWorkflowId: string;
  example: Example;
  repetition: number;
  plan: TaskPlan;
}

export type ExampleResult = RunRecord;
