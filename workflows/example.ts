/**
 * `example` workflow: one (example, repetition). Runs the task's steps in order, each its own
 * activity with its own timeout/heartbeat/retry, and always the cleanup step (task-steps.ts), or
 * for an agent task the durable agent loop (agent-loop.ts); then runs every
 * evaluator as its own activity (a failing evaluator is recorded, never re-runs the task): code
 * evaluators as local activities (one marker event each, in this worker), LLM judges and
 * evaluators marked `local: false` as normal activities on their queue.
 * A failed run fails the workflow (red in the Temporal UI), with the record in the failure's
 * details. The record reaches the experiment by this workflow's completion when the generation
 * that started it is still running (`report: 'completion'`), else by the `runFinished` signal to
 * the experiment's workflow id, so the experiment never waits on one child in particular and
 * can continue-as-new while children run.
 */
import { continueAsNew, getExternalWorkflowHandle, isCancellation, log, patched, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { TaskActivities } from '../activities/task-activities';
import { toActivityOptions, toLocalActivityOptions } from './activity-options';
import { exampleFailure, FAILED_EXAMPLES_PATCH, reportBySignalSignal, type ExampleInput, type ExampleResult } from './example-contract';
import { runFinishedSignal } from './experiment-contract';
import { describeFailure } from './failures';
import { runAgent } from './agent-loop';
import type { AgentStats, EvaluatorOutcome, RunRecord } from '../core/records';
import { RUN_STATUS } from './search-attributes';
import { runSteps, type TaskOutcome } from './task-steps';
import { annotateRunSpan, currentRunTrace } from './run-trace';
import { runSpanInput, runSpanOutput } from './run-span-attributes';

// Options are given per call (executeWithOptions); these only satisfy the proxy's defaults.
const activities = proxyActivities<TaskActivities>({ startToCloseTimeout: '1m' });
const localActivities = proxyLocalActivities<TaskActivities>({ startToCloseTimeout: '1m' });

export async function example(input: ExampleInput): Promise<ExampleResult> {
  const { example: ex, repetition, plan } = input;
  let bySignal = input.report !== 'completion';
  setHandler(reportBySignalSignal, () => {
    bySignal = true;
  });
  // From when the server created this run, so waiting for a worker counts too.
  const startedAt = input.startedAt ?? workflowInfo().startTime.getTime();
  // The run's own trace (trace-boundary.ts), named on its record: what Arize and Phoenix link by.
  const trace = input.trace ?? currentRunTrace();
  annotateRunSpan(() => runSpanInput(input));
  let task: TaskOutcome & { agent?: AgentStats } = { output: null, steps: [] };
  if (ex.malformed) task = { ...task, error: `malformed row: ${ex.malformed}` };
  else if (plan.agent) {
    const run = await runAgent(plan, plan.agent, ex, repetition, input.agentProgress);
    if ('continueAsNew' in run) {
      // A request to report by signal must outlive the run it reached.
      return continueAsNew<typeof example>({ ...input, startedAt, ...(trace ? { trace } : {}), agentProgress: run.continueAsNew, ...(input.report && bySignal ? { report: 'signal' as const } : {}) });
    }
    task = run;
  } else task = await runSteps(plan, ex, repetition);
  const { output, error, steps } = task;

  const evaluations: Record<string, EvaluatorOutcome> = {};
  if (!ex.malformed) {
    // Arize semantics: every evaluator runs on every run, including runs whose task errored.
    await Promise.all(
      plan.evaluators.map(async (evaluator) => {
        const summary = `evaluator ${evaluator.column}`;
        const args: Parameters<TaskActivities['runEvaluator']> = [{ evaluator, example: ex, output, error }];
        try {
          evaluations[evaluator.column] = evaluator.local
            ? await localActivities.runEvaluator.executeWithOptions(toLocalActivityOptions(evaluator, summary), args)
            : await activities.runEvaluator.executeWithOptions(toActivityOptions(evaluator, summary), args);
        } catch (err) {
          if (isCancellation(err)) throw err;
          evaluations[evaluator.column] = { error: describeFailure(err) };
        }
      }),
    );
  }

  const record: RunRecord = {
    exampleId: ex.id,
    repetition,
    output,
    ...(error ? { error } : {}),
    evaluations,
    steps,
    ...(task.agent ? { agent: task.agent } : {}),
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
    workflowId: workflowInfo().workflowId,
    ...(trace ? { trace } : {}),
  };
  annotateRunSpan(() => runSpanOutput(record));
  // Runs started with a `report` mode leave their status to the workflow's own (Completed, Failed).
  if (!input.report) upsertSearchAttributes([{ key: RUN_STATUS, value: error ? 'failed' : 'succeeded' }]);
  // Decided in the workflow task that completes the run: a `reportBySignal` arriving while that
  // task runs makes the server refuse the completion, and the next task sees the request.
  if (bySignal) {
    try {
      await getExternalWorkflowHandle(input.parentWorkflowId).signal(runFinishedSignal, record);
    } catch (err) {
      // The experiment is gone (finished or terminated): the record stays with this workflow
      // (its result, or its failure's details).
      log.warn('could not report to the experiment', { parent: input.parentWorkflowId, error: String(err) });
    }
  }
  // Only now, with the record in the experiment's history (the signal was delivered) or on its
  // way there with this completion, may a failed run fail the workflow.
  // Histories recorded before the patch completed failed runs; their replay takes that path.
  if (error && (input.report || patched(FAILED_EXAMPLES_PATCH))) throw exampleFailure(record);
  return record;
}
