/**
 * dxp's own spans inside activities (a step, a tool call, an evaluator, a model call), in
 * OpenInference's terms, through the process's tracer provider (connection/tracing.ts). The work
 * runs in the span's context, so a user's `startActiveSpan` and any auto-instrumentation nest
 * under it with no dxp-specific code. With tracing off the provider is the API's no-op: the span
 * does not record and its attributes are never computed.
 */
import { Context } from '@temporalio/activity';
import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { SemanticConventions as OI, type OpenInferenceSpanKind } from '@arizeai/openinference-semantic-conventions';
import type { Example } from '../../core/records';
import { DXP_ATTRIBUTES, experimentOfExampleWorkflow } from '../../core/run-trace';
import { traceText } from '../../core/trace-text';

const TRACER_NAME = 'dxp';

/** Runs `fn` in a new active span; an error it throws marks the span and goes on. */
export function inSpan<T>(name: string, kind: OpenInferenceSpanKind, attributes: () => Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, async (span) => {
    annotate(span, () => ({ [OI.OPENINFERENCE_SPAN_KIND]: kind, ...attributes() }));
    try {
      return await fn(span);
    } catch (err) {
      if (span.isRecording()) {
        const error = err instanceof Error ? err : new Error(String(err));
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: traceText(error.message).text });
      }
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Sets attributes on a recording span; computed only then. */
export function annotate(span: Span, attributes: () => Attributes): void {
  if (span.isRecording()) span.setAttributes(attributes());
}

/** `input.value` / `output.value` and their mime type, bounded. */
export function payload(which: 'input' | 'output', value: unknown): Attributes {
  const { text, mimeType } = traceText(value);
  return which === 'input' ? { [OI.INPUT_VALUE]: text, [OI.INPUT_MIME_TYPE]: mimeType } : { [OI.OUTPUT_VALUE]: text, [OI.OUTPUT_MIME_TYPE]: mimeType };
}

/** Which run and which attempt an activity's span belongs to. */
export function runAttributes(example: Example, repetition?: number): Attributes {
  const info = Context.current().info;
  const experiment = experimentOfExampleWorkflow(info.workflowExecution?.workflowId ?? '', example.id);
  return {
    [DXP_ATTRIBUTES.exampleId]: example.id,
    ...(repetition !== undefined ? { [DXP_ATTRIBUTES.repetition]: repetition } : {}),
    ...(experiment !== undefined ? { [DXP_ATTRIBUTES.experiment]: experiment } : {}),
    [DXP_ATTRIBUTES.attempt]: info.attempt,
  };
}
