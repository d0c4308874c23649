/**
 * One trace per run. The Temporal interceptors carry the experiment's trace into every child it
 * starts, which would make a 1,000-example experiment one trace of tens of thousands of spans; a
 * run's trace is what Arize and Phoenix link an experiment run to. So an example workflow's first
 * run leaves the experiment's context behind and its RunWorkflow span roots a trace of its own;
 * a run it continued as new keeps the context it was handed (the same run's trace). Listed
 * before the SDK's workflow interceptors (workers/tracing.ts), so they see the headers as left here.
 */
import type { Next, WorkflowExecuteInput, WorkflowInboundCallsInterceptor, WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { workflowInfo } from '@temporalio/workflow';
import { EXAMPLE_WORKFLOW_TYPE } from './example-contract';

/** The header the SDK's OpenTelemetry interceptors carry the context in (their TRACE_HEADER). */
export const OTEL_TRACE_HEADER = '_tracer-data';

class RunTraceRoot implements WorkflowInboundCallsInterceptor {
  execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const info = workflowInfo();
    if (info.workflowType !== EXAMPLE_WORKFLOW_TYPE || info.continuedFromExecutionRunId || !(OTEL_TRACE_HEADER in input.headers)) return next(input);
    const { [OTEL_TRACE_HEADER]: _experimentContext, ...headers } = input.headers;
    return next({ ...input, headers });
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new RunTraceRoot()] });
