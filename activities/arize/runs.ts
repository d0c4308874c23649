/**
 * RunRecord → Arize experiment run, with the column names of Arize's SDK (`eval.<name>.score`,
 * ...) so the Arize UI shows the same columns as an experiment made with it. Two extra columns
 * make uploads reconcilable: the run key and the workflow that owns the experiment.
 */
import { runKey, type RunRecord } from '../../core/records';
import type { ArizeRunInput } from './types';

/** Column holding `<exampleId>#<repetition>`: what a retried upload checks before appending. */
export const RUN_KEY_COLUMN = 'dxp.run_key';
/** Column holding the experiment workflow id: tells our experiment from another of the same name. */
export const OWNER_COLUMN = 'dxp.workflow_id';

export function toArizeRun(run: RunRecord, ownerWorkflowId: string): ArizeRunInput {
  const out: ArizeRunInput = {
    example_id: run.exampleId,
    output: outputText(run.output),
    error: run.error ?? null,
    latency_ms: run.durationMs,
    repetition: run.repetition,
    attempts: run.steps.reduce((sum, step) => sum + (step.attempts ?? 1), 0),
    [RUN_KEY_COLUMN]: runKey(run),
    [OWNER_COLUMN]: ownerWorkflowId,
  };
  // The columns Arize's SDK writes, by which its UI opens a run's trace. An evaluator ran in the
  // run's own trace (an EVALUATOR span there), so its trace is the run's.
  if (run.trace) {
    out['result.trace.id'] = run.trace.id;
    out['result.trace.timestamp'] = run.trace.timestamp;
  }
  if (run.agent) {
    // Token columns use OpenInference's names, which Arize's UI knows.
    out['llm.token_count.prompt'] = run.agent.promptTokens;
    out['llm.token_count.completion'] = run.agent.completionTokens;
    out['llm.token_count.total'] = run.agent.totalTokens;
    if (run.agent.costUsd !== undefined) out.cost_usd = run.agent.costUsd;
    out['agent.turns'] = run.agent.turns;
    out['agent.tool_calls'] = run.agent.toolCalls;
    out['agent.stop_reason'] = run.agent.stopReason;
  }
  for (const [name, evaluation] of Object.entries(run.evaluations)) {
    const prefix = `eval.${name}`;
    if (evaluation.score !== undefined) out[`${prefix}.score`] = evaluation.score;
    if (evaluation.label !== undefined) out[`${prefix}.label`] = evaluation.label;
    if (evaluation.explanation !== undefined) out[`${prefix}.explanation`] = evaluation.explanation;
    if (evaluation.error !== undefined) out[`${prefix}.error`] = evaluation.error;
    for (const [key, value] of Object.entries(evaluation.metadata ?? {})) out[`${prefix}.metadata.${key}`] = value;
    if (run.trace) {
      out[`${prefix}.trace.id`] = run.trace.id;
      out[`${prefix}.trace.timestamp`] = run.trace.timestamp;
    }
  }
  return out;
}

/** Arize wants a string: objects as JSON, nothing as "" (a failed task). */
function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output === null || output === undefined) return '';
  return JSON.stringify(output);
}
