/** bench/results/latest.json: every figure of the run, with the settings and formulas needed to read them. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { Options } from './args';
import type { BenchTask } from './bench-tasks';
import type { RunnerResult } from './figures';
import { mb } from './process-stats';

export interface ResultsFileInput {
  opts: Options;
  startRss: number;
  totalSeconds: number;
  byTask: { task: BenchTask; results: RunnerResult[] }[];
}

/** Writes the file (overwriting the previous run's) and returns its path. */
export function writeResultsFile({ opts, startRss, totalSeconds, byTask }: ResultsFileInput): string {
  const outDir = resolve(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, 'latest.json');
  writeFileSync(
    outFile,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpus: cpus().length,
        totalMemMb: mb(totalmem()),
        n: opts.n,
        concurrency: opts.c,
        serverDb: opts.serverDb,
        startRssMb: mb(startRss),
        loadAvg1AtStart: loadavg()[0],
        totalSeconds,
        formulas: {
          overheadPerExampleMs: 'wallMs * concurrency / n - task.ownMs',
          latency: 'pipeline: RunRecord.durationMs; pool: around each call',
          rss: 'bench process RSS (in-process worker), sampled every 200 ms',
          parentEventsPerExample: 'sum of history events over every run of the experiment continue-as-new chain / n',
          childEventsPerExample: 'sum of example workflows historyLength (visibility) / n',
        },
        tasks: byTask.map(({ task, results }) => ({ task: task.key, registeredAs: task.task, ownMs: task.ownMs, results })),
      },
      null,
      2,
    ) + '\n',
  );
  return outFile;
}
