/**
 * RunRecord → Phoenix experiment run and its evaluations. Phoenix links a run to its example by
 * the example's id, and keeps one run per (example, repetition) and one evaluation per (run, name).
 */
import type { RunRecord } from '../../core/records';
import type { PhoenixEvaluationInput, PhoenixRunInput } from './types';

/** When the run ended: its start plus its duration (the record keeps both). */
export function runEndTime(run: Pick<RunRecord, 'startedAt' | 'durationMs'>): string {
  return new Date(Date.parse(run.startedAt) + Math.max(0, run.durationMs)).toISOString();
}

export function toPhoenixRun(run: RunRecord): PhoenixRunInput {
  const traceId = run.trace?.id;
  return {
    dataset_example_id: run.exampleId,
    // Phoenix stores any JSON; a failed task has none.
    output: run.output === undefined ? null : run.output,
    repetition_number: run.repetition,
    start_time: new Date(Date.parse(run.startedAt)).toISOString(),
    end_time: runEndTime(run),
    ...(run.error !== undefined ? { error: run.error } : {}),
    ...(traceId ? { trace_id: traceId } : {}),
  };
}

/**
 * One evaluation per evaluator column. The record has no evaluator timings, so they are stamped
 * with the run's end (evaluators run after the task). An errored evaluator is sent as `error`.
 * An evaluator ran in the run's own trace (an EVALUATOR span there), so its trace is the run's.
 */
export function toPhoenixEvaluations(run: RunRecord, runId: string, llmColumns: ReadonlySet<string>): PhoenixEvaluationInput[] {
  const at = runEndTime(run);
  return Object.entries(run.evaluations).map(([name, e]) => {
    const base = { experiment_run_id: runId, name, annotator_kind: llmColumns.has(name) ? ('LLM' as const) : ('CODE' as const), start_time: at, end_time: at };
    const metadata = {
      ...(e.metadata && Object.keys(e.metadata).length > 0 ? { metadata: e.metadata } : {}),
      ...(run.trace ? { trace_id: run.trace.id } : {}),
    };
    if (e.error !== undefined) return { ...base, error: e.error, ...metadata };
    const result = {
      ...(e.score !== undefined ? { score: e.score } : {}),
      ...(e.label !== undefined ? { label: e.label } : {}),
      ...(e.explanation !== undefined ? { explanation: e.explanation } : {}),
    };
    return { ...base, result, ...metadata };
  });
}
