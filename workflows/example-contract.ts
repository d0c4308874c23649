/** Contract of the `example` workflow: one (example, repetition) through the task and evaluators. */
import type { AgentCarryOver } from './agent-loop';
import type { Example, RunRecord, TaskPlan } from './records';

export const EXAMPLE_WORKFLOW_TYPE = 'example';

export interface ExampleInput {
  experimentId: string;
  /** Workflow id of the experiment to report back to (it may have continued as new). */
  parentWorkflowId: string;
  example: Example;
  repetition: number;
  plan: TaskPlan;
  /** Set when a run continued as new: when the first run started (epoch ms). */
  startedAt?: number;
  /** Set when a long agent conversation continued as new: where it stands. */
  agentProgress?: AgentCarryOver;
}

export type ExampleResult = RunRecord;
