/** How a run record points at its trace: what Arize's and Phoenix's experiment runs link by. */
export interface RunTraceRef {
  /** The W3C trace id (32 hex digits) of the run's own trace. */
  id: string;
  /** When the trace's root span (the example workflow's) started, epoch ms. */
  timestamp: number;
}

/** Span attributes of dxp's own, beside OpenInference's. */
export const DXP_ATTRIBUTES = {
  experiment: 'dxp.experiment',
  exampleId: 'dxp.example_id',
  repetition: 'dxp.repetition',
  attempt: 'dxp.attempt',
  step: 'dxp.step',
  evaluator: 'dxp.evaluator',
  turn: 'dxp.turn',
  workflowId: 'dxp.workflow_id',
} as const;

/**
 * The experiment an example workflow belongs to, read back from its id
 * (`experiment/<name>/example/<id>/rep/<n>`, see exampleWorkflowId): activities know the example
 * they run, not the experiment.
 */
export function experimentOfExampleWorkflow(workflowId: string, exampleId: string): string | undefined {
  const prefix = 'experiment/';
  const at = workflowId.lastIndexOf(`/example/${exampleId}/rep/`);
  return workflowId.startsWith(prefix) && at > prefix.length ? workflowId.slice(prefix.length, at) : undefined;
}
