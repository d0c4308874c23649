/**
 * One row of a results table (made outside this pipeline) → a RunRecord, by the column mapping
 * of `dxp log`. A row that cannot be mapped is rejected with its reason; the others go on.
 */
import type { EvaluatorColumns, ResultsMapping } from '../core/log-contract';
import type { EvaluatorOutcome, RunRecord } from '../core/records';

export type RowOutcome = { run: RunRecord } | { rejected: string };

export function rowToRun(row: Record<string, unknown>, rowNumber: number, exampleId: string | undefined, mapping: ResultsMapping, ownerWorkflowId: string): RowOutcome {
  const reject = (reason: string): RowOutcome => ({ rejected: `row ${rowNumber}: ${reason}` });
  if (!exampleId) return reject('no example id');
  let repetition = 1;
  if (mapping.repetitionColumn) {
    repetition = Number(row[mapping.repetitionColumn]);
    if (!Number.isInteger(repetition) || repetition < 1) return reject(`repetition column '${mapping.repetitionColumn}' is not a positive integer`);
  }
  const evaluations: Record<string, EvaluatorOutcome> = {};
  for (const [name, columns] of Object.entries(mapping.evaluators)) {
    const evaluation = evaluationOf(row, columns);
    if (typeof evaluation === 'string') return reject(`evaluator '${name}': ${evaluation}`);
    if (evaluation) evaluations[name] = evaluation;
  }
  const error = mapping.errorColumn ? present(row[mapping.errorColumn]) : undefined;
  const latency = mapping.latencyColumn ? Number(row[mapping.latencyColumn]) : 0;
  return {
    run: {
      exampleId,
      repetition,
      output: row[mapping.outputColumn] ?? null,
      ...(error !== undefined ? { error: String(error) } : {}),
      evaluations,
      steps: [],
      startedAt: new Date(0).toISOString(),
      durationMs: Number.isFinite(latency) ? latency : 0,
      workflowId: ownerWorkflowId,
    },
  };
}

/** The evaluation in a row, undefined when the row has none, or a string saying what is wrong. */
function evaluationOf(row: Record<string, unknown>, columns: EvaluatorColumns): EvaluatorOutcome | undefined | string {
  const out: EvaluatorOutcome = {};
  if (columns.score) {
    const raw = present(row[columns.score]);
    if (raw !== undefined) {
      const score = typeof raw === 'boolean' ? Number(raw) : Number(raw);
      if (!Number.isFinite(score)) return `score column '${columns.score}' holds '${String(raw)}', not a number`;
      out.score = score;
    }
  }
  if (columns.label) {
    const label = present(row[columns.label]);
    if (label !== undefined) out.label = String(label);
  }
  if (columns.explanation) {
    const explanation = present(row[columns.explanation]);
    if (explanation !== undefined) out.explanation = String(explanation);
  }
  for (const [key, column] of Object.entries(columns.metadata ?? {})) {
    const value = present(row[column]);
    if (value !== undefined) (out.metadata ??= {})[key] = value;
  }
  return out.score === undefined && out.label === undefined ? undefined : out;
}

function present(value: unknown): unknown {
  return value === null || value === undefined || value === '' ? undefined : value;
}

/** Every column the mapping reads, to check a table before anything starts. */
export function mappedColumns(mapping: ResultsMapping): string[] {
  const columns = [mapping.outputColumn];
  if (mapping.match) columns.push(mapping.match.fileColumn);
  else columns.push(mapping.exampleIdColumn ?? 'example_id');
  for (const c of [mapping.errorColumn, mapping.latencyColumn, mapping.repetitionColumn]) if (c) columns.push(c);
  for (const e of Object.values(mapping.evaluators)) {
    for (const c of [e.score, e.label, e.explanation, ...Object.values(e.metadata ?? {})]) if (c) columns.push(c);
  }
  return [...new Set(columns)];
}
