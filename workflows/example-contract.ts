/** Contract of the `example` workflow: one (example, repetition) through the task and evaluators. */
import { ApplicationFailure } from '@temporalio/common';
import { defineSignal } from '@temporalio/workflow';
import type { AgentCarryOver } from './agent-loop';
import type { Example, RunRecord, TaskPlan } from '../core/records';
import type { RunTraceRef } from '../core/run-trace';

export const EXAMPLE_WORKFLOW_TYPE = 'example';

/**
 * Patch id of "a failed run fails its workflow": histories recorded before it completed failed
 * runs, and their replay takes that path. Once no such history can be replayed any more
 * (retention), `deprecatePatch` it, then drop the check.
 */
export const FAILED_EXAMPLES_PATCH = 'failed-examples-fail';
/** Failure type of an example workflow whose run failed; its details[0] is the run record. */
export const EXAMPLE_FAILED_TYPE = 'ExampleFailed';

export interface ExampleInput {
  experimentId: string;
  /** Workflow id of the experiment to report back to (it may have continued as new). */
  parentWorkflowId: string;
  example: Example;
  repetition: number;
  plan: TaskPlan;
  /** Set when a run continued as new: when the first run started (epoch ms). */
  startedAt?: number;
  /** Set when a run continued as new: the trace its first run started. */
  trace?: RunTraceRef;
  /** Set when a long agent conversation continued as new: where it stands. */
  agentProgress?: AgentCarryOver;
  /**
   * How the run reaches the experiment. 'completion': by this workflow's own result (or failure),
   * which lands in the history of the experiment's generation that started it, unless
   * `reportBySignal` asks for the signal (that generation is about to continue as new);
   * 'signal': asked so before this run continued as new. Either way no status upsert: the
   * workflow's own status says it. Absent (every run started before this field): by the
   * `runFinished` signal, after a status upsert.
   */
  report?: 'completion' | 'signal';
}

export type ExampleResult = RunRecord;

/**
 * Sent by the experiment to a run of its own generation before it continues as new: the next
 * generation has no handle on this workflow, so its record must come by `runFinished` signal.
 */
export const reportBySignalSignal = defineSignal('reportBySignal');

/**
 * A failed run ends its workflow as Failed (red in the Temporal UI), with the run's error as the
 * message and the run record in the details. Not retryable, and no workflow retry policy is set.
 */
export function exampleFailure(record: RunRecord): ApplicationFailure {
  const failure = ApplicationFailure.create({
    type: EXAMPLE_FAILED_TYPE,
    message: record.error ?? 'the run failed',
    nonRetryable: true,
    details: [record],
  });
  // Its stack would only ever point here (the run's own failure is in the record's steps): leave it
  // out of the failure the UI shows first, and out of the experiment's history.
  failure.stack = '';
  return failure;
}

/**
 * The run record of an example workflow's outcome: its result when the run succeeded, the
 * failure's details when it failed (`handle.result()` rejects with a WorkflowFailedError whose
 * cause is that failure). Undefined for any other failure (cancelled, terminated, timed out).
 */
export function runRecordOf(outcome: unknown): RunRecord | undefined {
  for (let err = outcome, depth = 0; err instanceof Error && depth < 4; err = err.cause, depth++) {
    if (err instanceof ApplicationFailure && err.type === EXAMPLE_FAILED_TYPE) return err.details?.[0] as RunRecord | undefined;
  }
  return undefined;
}
