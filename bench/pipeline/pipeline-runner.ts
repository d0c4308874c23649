/**
 * The durable pipeline, measured end to end: a fresh Temporal dev server, an in-process worker
 * and one experiment (a parent workflow plus one child workflow per example). Each task gets
 * a fresh server, so its figures do not depend on what ran before it.
 */
import { join } from 'node:path';
import type { WorkerSettings } from '../../workers/config';
import type { Options } from './args';
import { BENCH_EVALUATOR, benchModule, type BenchTask } from '../shared/bench-tasks';
import { childHistories } from './child-history';
import { readRuns, runOnDevServer } from '../shared/dev-server';
import { paceFigures, type RunnerResult } from '../shared/figures';
import { parentHistory } from './parent-history';

export async function runPipeline(
  task: BenchTask,
  datasetPath: string,
  n: number,
  c: number,
  workDir: string,
  workflowBundle: { code: string },
  serverDb: Options['serverDb'],
  /** Worker settings instead of the benchmark's slots (bench/pipeline/sweep.ts); `label` names the run's files. */
  variant?: { label: string; settings: Partial<WorkerSettings> },
): Promise<RunnerResult> {
  const suffix = variant ? `-${variant.label}` : '';
  const name = `bench-${task.key}-n${n}-c${c}${suffix}`;
  const dataDir = join(workDir, `store-${task.key}${suffix}`);
  const taskQueue = `bench-${task.key}`;

  return runOnDevServer(
    {
      label: `${task.key}${suffix}`,
      workDir,
      serverDb,
      dataDir,
      taskQueue,
      c,
      module: benchModule,
      workflowBundle,
      ...(variant ? { settings: variant.settings } : {}),
      spec: { name, dataset: { path: datasetPath }, task: task.task, evaluators: [BENCH_EVALUATOR], concurrency: c, taskQueue },
    },
    async ({ client, summary, wallMs, startedAtMs, rss, cpu, serverStartMs, workerStartMs }) => {
      const records = readRuns(dataDir, name);
      const history = await parentHistory(client, name, startedAtMs);
      const children = await childHistories(client, name, n);

      return {
        runner: 'pipeline',
        ...paceFigures(n, c, wallMs, task.ownMs, records.map((r) => r.durationMs), rss),
        failed: summary.failed,
        pipeline: {
          experimentName: name,
          serverDb,
          serverStartMs,
          cpu,
          workerStartMs,
          ...history,
          parentEventsPerExample: history.parentEvents / n,
          ...children,
          childEventsPerExample: children.childEvents === null ? null : children.childEvents / n,
          recordsInStore: records.length,
          summary: { runs: summary.runs, succeeded: summary.succeeded, failed: summary.failed, status: summary.status },
        },
      };
    },
  );
}
