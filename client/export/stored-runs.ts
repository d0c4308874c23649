/**
 * An experiment's runs from the results store as export rows, with the columns an export of its
 * Arize experiment has (`eval.<name>.score`, ...), so one file format serves both; plus what only
 * the store knows: the output as the task returned it, the example workflow and the start time.
 */
import { toArizeRun } from '../../activities/arize/runs';
import type { ResultsStore } from '../../activities/sinks';
import type { RunRecord } from '../../core/records';
import type { Row } from './files';

export async function* storedRunRows(store: ResultsStore, experimentId: string, ownerWorkflowId: string): AsyncGenerator<Row> {
  for await (const run of store.readRuns(experimentId)) yield rowOf(run, ownerWorkflowId);
}

function rowOf(run: RunRecord, ownerWorkflowId: string): Row {
  return {
    ...toArizeRun(run, ownerWorkflowId),
    output: run.output ?? null,
    started_at: run.startedAt,
    'dxp.example_workflow_id': run.workflowId,
    ...(run.duplicateRow !== undefined ? { 'dxp.duplicate_row': run.duplicateRow } : {}),
  };
}
