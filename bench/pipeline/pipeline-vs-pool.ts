/**
 * Benchmark: the durable pipeline (experiment parent + one example child per example, on a
 * fresh Temporal dev server with an in-process worker) against its floor (the least SDK program
 * of the same shape, bench/floor, on a fresh dev server of its own) and an in-process promise
 * pool running the same task and evaluator functions directly, all at the same concurrency.
 *
 *   npm run bench -- [--n 1000] [--c 50] [--tasks noop,sleep200,sleep2000] [--server-db file|memory]
 *
 * Prints a table per task with the pipeline's ratios to its floor, and writes every figure to
 * bench/results/latest.json.
 * This file only runs the loop; each step lives in its own module next to it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { parseArgs } from './args';
import { bundleWorkflows, finishBench, runMain } from '../shared/bench-main';
import type { BenchTask } from '../shared/bench-tasks';
import { writeDataset } from '../shared/dataset';
import type { RunnerResult } from '../shared/figures';
import { runFloor } from './floor-runner';
import { runPipeline } from './pipeline-runner';
import { runPool } from './pool-runner';
import { fmt, FORMULAS, report, runHeader } from '../shared/report';
import { writeResultsFile } from './results-file';

async function main(): Promise<void> {
  const startRss = process.memoryUsage().rss;
  const opts = parseArgs(process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const workDir = mkdtempSync(join(tmpdir(), 'dxp-bench-'));
  const benchStart = performance.now();
  console.log(runHeader(opts, startRss, workDir));

  const { datasetPath, poolRows } = writeDataset(workDir, opts.n);

  const workflowBundle = await bundleWorkflows();
  const floorBundle = await bundleWorkflows(require.resolve('../floor/workflows'), 'floor workflow bundle');

  const byTask: { task: BenchTask; results: RunnerResult[] }[] = [];
  for (const task of opts.tasks) {
    process.stdout.write(`[${task.key}] pipeline `);
    const t = performance.now();
    const pipeline = await runPipeline(task, datasetPath, opts.n, opts.c, workDir, workflowBundle, opts.serverDb);
    console.log(`done in ${fmt((performance.now() - t) / 1000, 1)} s (experiment ${fmt(pipeline.wallMs / 1000, 1)} s)`);
    process.stdout.write(`[${task.key}] floor `);
    const floor = await runFloor(task, datasetPath, opts.n, opts.c, workDir, floorBundle, opts.serverDb);
    console.log(`done in ${fmt(floor.wallMs / 1000, 1)} s`);
    process.stdout.write(`[${task.key}] pool `);
    const pool = await runPool(task, poolRows, opts.c);
    console.log(`done in ${fmt(pool.wallMs / 1000, 2)} s`);
    byTask.push({ task, results: [pipeline, floor, pool] });
  }

  for (const { task, results } of byTask) console.log(report(task, results));
  console.log(FORMULAS);
  finishBench(benchStart, workDir, (totalSeconds) => writeResultsFile({ opts, startRss, totalSeconds, byTask }));
}

runMain(main);
