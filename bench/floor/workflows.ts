/**
 * The floor of the pipeline's design, for `npm run bench` (bench/pipeline/floor-runner.ts): the least
 * program of the same shape, on the SDK alone. The parent reads the rows, starts one child per
 * row with a sliding window of C (ABANDON, search attributes at start) and stores the children's
 * records in batches as they complete; each child runs one task activity and one evaluator (a
 * local activity) and returns its record (its completion reports it). What dxp adds on
 * top (paging, continue-as-new, specs and plans, failure records, retries per step, cleanup,
 * progress in the UI) is what the ratio against this floor prices. The agent loop's floor
 * (agent-workflow.ts) is exported from here too, so one bundle holds both.
 */
import { condition, ParentClosePolicy, proxyActivities, proxyLocalActivities, startChild, workflowInfo } from '@temporalio/workflow';
import { EXAMPLE_ID, EXPERIMENT_NAME } from '../../workflows/search-attributes';
import type { FloorActivities, FloorRecord, FloorRow } from './contract';

export { floorAgent } from './agent-workflow';

const { readRows, runTask, storeRecords } = proxyActivities<FloorActivities>({ startToCloseTimeout: '1m' });
// A code evaluator, as dxp runs one: a local activity.
const { evaluate } = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '1m' });

export async function floorExperiment(input: { name: string; datasetPath: string; concurrency: number; batch: number }): Promise<{ stored: number }> {
  const { workflowId } = workflowInfo();
  const rows = await readRows(input.datasetPath);
  const pending: FloorRecord[] = [];
  let running = 0;
  let reported = 0;
  let stored = 0;
  const report = (record: FloorRecord): void => {
    running--;
    reported++;
    pending.push(record);
  };
  // Batches are stored beside the starts, one at a time, as dxp's results flusher does.
  let storing = Promise.resolve();
  const store = (force: boolean): void => {
    if (pending.length < input.batch && !(force && pending.length > 0)) return;
    const batch = pending.splice(0);
    storing = storing.then(async () => {
      stored += await storeRecords(input.name, batch);
    });
  };
  for (const row of rows) {
    await condition(() => running < input.concurrency);
    store(false);
    running++;
    void startChild(floorExample, {
      workflowId: `${workflowId}/${row.id}`,
      args: [{ row }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: EXPERIMENT_NAME, value: input.name },
        { key: EXAMPLE_ID, value: row.id },
      ],
    }).then((child) => child.result().then(report));
  }
  await condition(() => reported === rows.length);
  store(true);
  await storing;
  return { stored };
}

export async function floorExample(input: { row: FloorRow }): Promise<FloorRecord> {
  const startedAt = workflowInfo().startTime.getTime();
  const output = await runTask(input.row);
  const score = await evaluate(output, input.row);
  return { id: input.row.id, output, score, durationMs: Date.now() - startedAt };
}
