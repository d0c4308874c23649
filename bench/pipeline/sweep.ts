/**
 * Benchmark: the worker's settings swept one at a time from the defaults a user gets
 * (DXP_MAX_ACTIVITIES 100, DXP_MAX_WORKFLOW_TASKS 40, the SDK's workflow cache), each a fresh dev
 * server and one experiment of N no-op examples with one code evaluator at concurrency C.
 *
 *   npm run bench:sweep -- [--n 500] [--c 50]
 *
 * Prints one line per setting and writes every figure to bench/results/sweep-latest.json.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { WorkerSettings } from '../../workers/config';
import { bundleWorkflows, finishBench, runMain } from '../shared/bench-main';
import { benchTasks } from '../shared/bench-tasks';
import { parseFlags, positiveInt } from '../shared/cli-args';
import { writeDataset } from '../shared/dataset';
import type { RunnerResult } from '../shared/figures';
import { runPipeline } from './pipeline-runner';
import { fmt, table } from '../shared/report';
import { machineFields, runFields, writeResultsJson } from '../shared/results-json';

const USAGE = 'usage: npm run bench:sweep -- [--n 500] [--c 50]';
const DEFAULTS = { maxConcurrentActivities: 100, maxConcurrentWorkflowTasks: 40 } satisfies Partial<WorkerSettings>;

/** The defaults, then one setting changed at a time. */
const VARIANTS: { label: string; settings: Partial<WorkerSettings> }[] = [
  { label: 'defaults', settings: DEFAULTS },
  ...[50, 200, 1000].map((n) => ({ label: `cache-${n}`, settings: { ...DEFAULTS, maxCachedWorkflows: n } })),
  ...[8, 100].map((n) => ({ label: `wft-${n}`, settings: { ...DEFAULTS, maxConcurrentWorkflowTasks: n } })),
  ...[50, 200].map((n) => ({ label: `act-${n}`, settings: { ...DEFAULTS, maxConcurrentActivities: n } })),
];

async function main(): Promise<void> {
  const startRss = process.memoryUsage().rss;
  const opts = { n: 500, c: 50 };
  parseFlags(process.argv.slice(2), USAGE, {
    '--n': (value, flag) => (opts.n = positiveInt(flag, value())),
    '--c': (value, flag) => (opts.c = positiveInt(flag, value())),
  });
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const workDir = mkdtempSync(join(tmpdir(), 'dxp-bench-sweep-'));
  const benchStart = performance.now();
  console.log(`sweep: N=${opts.n} no-op examples with one code evaluator, C=${opts.c}; ${VARIANTS.length} worker settings, each on a fresh dev server; work dir ${workDir}`);
  const { datasetPath } = writeDataset(workDir, opts.n);
  const workflowBundle = await bundleWorkflows();
  const task = benchTasks.noop!;

  const runs: { label: string; settings: Partial<WorkerSettings>; result: RunnerResult }[] = [];
  for (const variant of VARIANTS) {
    process.stdout.write(`[${variant.label}] `);
    const result = await runPipeline(task, datasetPath, opts.n, opts.c, workDir, workflowBundle, 'file', variant);
    console.log(`${fmt(result.examplesPerSec)} examples/s`);
    runs.push({ ...variant, result });
  }

  const cpuMs = (r: RunnerResult, of: 'benchProcessS' | 'devServerS') => ((r.pipeline?.cpu[of] ?? NaN) * 1000) / r.examples;
  console.log(
    '\n' +
      table(
        ['setting', 'examples/s', 'p95 ms', 'CPU ms/ex server', 'CPU ms/ex worker', 'peak RSS MB', 'parent WFT failures', '1-min load'],
        runs.map(({ label, result: r }) => [
          label,
          fmt(r.examplesPerSec),
          fmt(r.latencyMs.p95, 0),
          fmt(cpuMs(r, 'devServerS')),
          fmt(cpuMs(r, 'benchProcessS')),
          fmt(r.rss.peakMb, 0),
          String(r.pipeline?.parentWorkflowTaskFailures.length ?? 'n/a'),
          `${fmt(r.pipeline?.cpu.loadAvg1Before, 2)} → ${fmt(r.pipeline?.cpu.loadAvg1After, 2)}`,
        ]),
      ),
  );
  finishBench(benchStart, workDir, (totalSeconds) =>
    writeResultsJson('sweep-latest.json', { ...machineFields(), ...opts, ...runFields(startRss, totalSeconds), defaults: DEFAULTS, runs }),
  );
}

runMain(main);
