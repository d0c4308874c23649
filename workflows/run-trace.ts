/**
 * The run's own trace, seen from the `example` workflow. With tracing on, the workflow runs inside
 * the span the Temporal interceptor opened for it (RunWorkflow:example), which trace-boundary.ts
 * makes the root of a trace of its own: this names that trace for the run record and marks the
 * span as what it is in OpenInference's terms. With tracing off there is no span and all of this
 * does nothing. Attributes never reach history: they go with the span, exported outside replay.
 */
// The API only, never the SDK: in the sandbox it finds the span the SDK's workflow interceptors
// opened (their provider is registered in the workflow's isolate), and with none it is a no-op.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports
import { trace, type Attributes, type Span } from '@opentelemetry/api';
import { workflowInfo } from '@temporalio/workflow';
import type { RunTraceRef } from '../core/run-trace';

/** The active span: the run's root, when the workflow is traced. */
function runSpan(): Span | undefined {
  const span = trace.getActiveSpan();
  return span && span.isRecording() ? span : undefined;
}

/** The trace this run is in, and when its root started; undefined when not traced. */
export function currentRunTrace(): RunTraceRef | undefined {
  const span = runSpan();
  if (!span) return undefined;
  // The SDK's span keeps its start as [seconds, nanoseconds]; the run's start is the fallback.
  const start = (span as unknown as { startTime?: [number, number] }).startTime;
  const timestamp = Array.isArray(start) ? start[0] * 1000 + Math.floor(start[1] / 1e6) : workflowInfo().runStartTime.getTime();
  return { id: span.spanContext().traceId, timestamp };
}

/** Sets attributes on the run's span; computed only when there is one. */
export function annotateRunSpan(attributes: () => Attributes): void {
  runSpan()?.setAttributes(attributes());
}
