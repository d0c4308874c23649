/**
 * A Phoenix experiment's runs as export rows, with the columns of an Arize or results-store export
 * (`example_id`, `output`, `error`, `latency_ms`, `repetition`, `eval.<name>.score|label|explanation|error`),
 * plus what Phoenix keeps beside them: the example's input and reference output, times and trace.
 */
import type { PhoenixExportedRun } from '../../activities/phoenix/types';
import type { Row } from './files';

export function phoenixRunRow(run: PhoenixExportedRun): Row {
  const row: Row = {
    example_id: run.example_id,
    output: run.output ?? null,
    error: run.error ?? null,
    latency_ms: run.latency_ms ?? null,
    repetition: run.repetition_number,
    input: run.input ?? null,
    expected: run.reference_output ?? null,
    started_at: run.start_time,
    ended_at: run.end_time,
    ...(run.trace_id ? { 'result.trace.id': run.trace_id } : {}),
  };
  for (const a of [...run.annotations].sort((x, y) => x.name.localeCompare(y.name))) {
    const prefix = `eval.${a.name}`;
    if (a.score !== null && a.score !== undefined) row[`${prefix}.score`] = a.score;
    if (a.label !== null && a.label !== undefined) row[`${prefix}.label`] = a.label;
    if (a.explanation !== null && a.explanation !== undefined) row[`${prefix}.explanation`] = a.explanation;
    if (a.error !== null && a.error !== undefined) row[`${prefix}.error`] = a.error;
  }
  return row;
}
