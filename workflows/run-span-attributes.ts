/**
 * What the run's root span says in OpenInference's terms: an AGENT for an agent task, else a
 * CHAIN, with the example's input and the run's output (bounded), and which experiment, example
 * and repetition it is, so a trace found in Phoenix or Arize names its run.
 */
import type { Attributes } from '@opentelemetry/api';
import { OpenInferenceSpanKind, SemanticConventions as OI } from '@arizeai/openinference-semantic-conventions';
import type { RunRecord } from '../core/records';
import { DXP_ATTRIBUTES } from '../core/run-trace';
import { traceText } from '../core/trace-text';
import type { ExampleInput } from './example-contract';

export function runSpanInput(input: ExampleInput): Attributes {
  const value = traceText(input.example.input);
  return {
    [OI.OPENINFERENCE_SPAN_KIND]: input.plan.agent ? OpenInferenceSpanKind.AGENT : OpenInferenceSpanKind.CHAIN,
    ...(input.plan.agent ? { [OI.AGENT_NAME]: input.plan.task } : {}),
    [OI.INPUT_VALUE]: value.text,
    [OI.INPUT_MIME_TYPE]: value.mimeType,
    [DXP_ATTRIBUTES.experiment]: input.experimentId,
    [DXP_ATTRIBUTES.exampleId]: input.example.id,
    [DXP_ATTRIBUTES.repetition]: input.repetition,
    // Phoenix and Arize group a session's traces: an experiment's runs are its session.
    [OI.SESSION_ID]: input.experimentId,
  };
}

export function runSpanOutput(record: RunRecord): Attributes {
  const value = traceText(record.output);
  return {
    [OI.OUTPUT_VALUE]: value.text,
    [OI.OUTPUT_MIME_TYPE]: value.mimeType,
    ...(record.error ? { 'dxp.error': traceText(record.error).text } : {}),
    ...Object.fromEntries(
      Object.entries(record.evaluations).flatMap(([name, e]) => [
        ...(e.score !== undefined && e.score !== null ? [[`dxp.eval.${name}.score`, e.score]] : []),
        ...(e.label ? [[`dxp.eval.${name}.label`, e.label]] : []),
        ...(e.error ? [[`dxp.eval.${name}.error`, traceText(e.error).text]] : []),
      ]),
    ),
  };
}
