/**
 * A worker's tracing, when it is configured (connection/tracing-config.ts): the Temporal SDK's
 * OpenTelemetry interceptors, so one trace follows an experiment from the client's start through
 * the experiment workflow, each example's child workflow and every activity; workflow spans leave
 * the sandbox through a sink into the same span pipeline. The workflow side is bundled in
 * (WORKFLOW_TRACING_MODULES), so a worker with tracing bundles its workflows with it.
 */
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { DescribeWorkflowExecutionResponse, Next, WorkflowClientInterceptor, WorkflowDescribeInput, WorkflowQueryInput } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { Tracing } from '../connection/tracing';

/**
 * The workflow interceptors' modules, for bundleWorkflowCode's `workflowInterceptorModules`, in
 * order: dxp's run-trace boundary first (one trace per run), then the SDK's.
 */
export const WORKFLOW_TRACING_MODULES = [
  require.resolve('../workflows/trace-boundary'),
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

/** The interceptors and the workflow span sink of a traced worker. */
export function tracingWorkerOptions(tracing: Tracing): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}

/**
 * The SDK's client interceptor, minus the reads: starts, signals, cancels and terminations are
 * part of an experiment's story, but `dxp run --wait` queries progress every second and `dxp
 * status` describes, and each of those would be a one-span trace of its own in Phoenix.
 */
class OperationsTracingInterceptor extends OpenTelemetryWorkflowClientInterceptor {
  override query(input: WorkflowQueryInput, next: Next<WorkflowClientInterceptor, 'query'>): Promise<unknown> {
    return next(input);
  }

  override describe(input: WorkflowDescribeInput, next: Next<WorkflowClientInterceptor, 'describe'>): Promise<DescribeWorkflowExecutionResponse> {
    return next(input);
  }
}

/** The client interceptor that starts a workflow's trace and hands its context on in the headers. */
export function tracingClientInterceptors(): { workflow: OpenTelemetryWorkflowClientInterceptor[] } {
  return { workflow: [new OperationsTracingInterceptor()] };
}
