/**
 * Benchmark: the scale shape. N no-op examples through one experiment on the dev server (SQLite)
 * and on the Temporal cluster on PostgreSQL, each with a `dxp worker` process of its own: pace,
 * where the CPU goes (server, database, worker), the worker's peak RSS (which must stay flat as N
 * grows), history and database bytes per example, and the continue-as-new chain.
 *
 *   npm run bench:scale -- [--n 10000] (or --n 10000,100000) [--target dev|cluster|both] [--c 100]
 *
 * Prints two tables and writes every figure to bench/results/scale-latest.json. A benchmark, not
 * a test: 100k examples take hours on a 2-core machine. Each step lives in its own module next to it.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundleWorkflows, finishBench, runMain } from '../shared/bench-main';
import { writeDataset } from '../shared/dataset';
import { fmt } from '../shared/report';
import { parseScaleArgs } from './scale-args';
import { scaleHeader, SCALE_FORMULAS, scaleReport } from './scale-report';
import { writeScaleResults } from './scale-results-file';
import { runScale, type ScaleResult } from './scale-run';

async function main(): Promise<void> {
  const startRss = process.memoryUsage().rss;
  const opts = parseScaleArgs(process.argv.slice(2));
  const workDir = mkdtempSync(join(tmpdir(), 'dxp-bench-scale-'));
  const benchStart = performance.now();
  console.log(scaleHeader(opts, workDir));

  // Built once and shared by every worker process: bundling is not part of any run's cost.
  const workflowBundle = join(workDir, 'workflows.js');
  writeFileSync(workflowBundle, (await bundleWorkflows()).code);

  const results: ScaleResult[] = [];
  for (const n of opts.ns) {
    const nDir = join(workDir, `n${n}`);
    mkdirSync(nDir);
    const { datasetPath, poolRows } = writeDataset(nDir, n);
    const exampleIds = poolRows.map((row) => String(row.id));
    for (const kind of opts.targets) {
      console.log(`[${kind} n=${n}] starting`);
      const t = performance.now();
      const result = await runScale({ kind, n, c: opts.c, datasetPath, exampleIds, workflowBundle, workDir });
      console.log(`[${kind} n=${n}] done in ${fmt((performance.now() - t) / 1000, 1)} s (experiment ${fmt(result.wallMs / 1000, 1)} s, ${fmt(result.examplesPerSec, 1)} examples/s)`);
      results.push(result);
      // Kept after every run: a later one that fails (hours in, for 100k) loses only itself.
      writeScaleResults(opts, startRss, (performance.now() - benchStart) / 1000, results);
    }
  }

  console.log(scaleReport(results));
  console.log(SCALE_FORMULAS);
  finishBench(benchStart, workDir, (totalSeconds) => writeScaleResults(opts, startRss, totalSeconds, results));
}

runMain(main);
