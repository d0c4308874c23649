/** Where a report's links point: the Temporal UI for a run's workflow, Phoenix for its trace (when configured). */
export interface ReportLinks {
  /** The example workflow in the Temporal UI, or undefined when no UI address is known. */
  workflow(workflowId: string): string | undefined;
  /** The run's trace, or undefined when no trace viewer is configured (the id is shown instead). */
  trace(traceId: string): string | undefined;
}

export const NO_LINKS: ReportLinks = { workflow: () => undefined, trace: () => undefined };

/** Phoenix's page of one trace: `<base>/projects/<project>/traces/<id>`. */
export function phoenixTraceUrl(baseUrl: string, project: string, traceId: string): string {
  return `${baseUrl.replace(/\/$/, '')}/projects/${encodeURIComponent(project)}/traces/${encodeURIComponent(traceId)}`;
}
