/**
 * The floor (bench/floor): the least SDK program of the pipeline's shape, on a fresh dev server of
 * its own with the same worker slots and the same task and evaluator code, so each of the
 * pipeline's figures can be given as a ratio to it.
 */
import { join } from 'node:path';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { Options } from './args';
import { benchModule, type BenchTask } from '../shared/bench-tasks';
import { childHistories } from './child-history';
import { benchSlots, measureOnDevServer, readJsonl } from '../shared/dev-server';
import { paceFigures, type RunnerResult } from '../shared/figures';
import { createFloorActivities } from '../floor/activities';
import type { FloorRecord } from '../floor/contract';
import type { floorExperiment } from '../floor/workflows';

/** As dxp's default `flushEvery`: records stored in batches of this many. */
const STORE_BATCH = 100;

/** A plain SDK worker for a floor, with the slots every runner on the dev server gets. */
export function startFloorWorker(options: Pick<WorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'workflowBundle' | 'activities'>, c: number): Promise<Worker> {
  const slots = benchSlots(c);
  return Worker.create({
    ...options,
    maxConcurrentActivityTaskExecutions: slots.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: slots.maxConcurrentWorkflowTasks,
    shutdownGraceTime: '2s',
  });
}

export async function runFloor(
  task: BenchTask,
  datasetPath: string,
  n: number,
  c: number,
  workDir: string,
  floorBundle: { code: string },
  serverDb: Options['serverDb'],
): Promise<RunnerResult> {
  const name = `floor-${task.key}-n${n}-c${c}`;
  const taskQueue = `floor-${task.key}`;
  const storeDir = join(workDir, `floor-store-${task.key}`);
  const fn = benchModule.tasks[task.task];

  return measureOnDevServer(
    {
      label: `floor-${task.key}`,
      workDir,
      serverDb,
      startWorker: (connection, namespace) => startFloorWorker({ connection, namespace, taskQueue, workflowBundle: floorBundle, activities: createFloorActivities(fn, storeDir) }, c),
      run: (client) =>
        client.workflow.execute<typeof floorExperiment>('floorExperiment', {
          workflowId: `floor/${name}`,
          taskQueue,
          args: [{ name, datasetPath, concurrency: c, batch: STORE_BATCH }],
        }),
    },
    async ({ client, result, wallMs, rss, cpu }) => {
      const records = readJsonl<FloorRecord>(join(storeDir, `${name}.jsonl`));
      const handle = client.workflow.getHandle(`floor/${name}`);
      const parentEvents = (await handle.fetchHistory()).events?.length ?? 0;
      const parentHistoryBytes = Number((await handle.describe()).raw.workflowExecutionInfo?.historySizeBytes ?? 0);
      const children = await childHistories(client, name, n, 'floorExample');
      return {
        runner: 'floor',
        ...paceFigures(n, c, wallMs, task.ownMs, records.map((r) => r.durationMs), rss),
        failed: n - records.length,
        floor: {
          cpu,
          parentEvents,
          parentEventsPerExample: parentEvents / n,
          parentHistoryBytes,
          childEvents: children.childEvents,
          childEventsPerExample: children.childEvents === null ? null : children.childEvents / n,
          childEventTypesSample: children.childEventTypesSample,
          recordsStored: result.stored,
        },
      };
    },
  );
}
