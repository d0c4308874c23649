/** bench/results/scale-latest.json: every figure of the scale run, with the settings and formulas needed to read them. */
import type { ScaleOptions } from './scale-args';
import { rssFlatness, scaleFigures } from './scale-figures';
import type { ScaleResult } from './scale-run';
import { machineFields, runFields, writeResultsJson } from '../shared/results-json';

export function writeScaleResults(opts: ScaleOptions, startRss: number, totalSeconds: number, results: ScaleResult[]): string {
  return writeResultsJson('scale-latest.json', {
    ...machineFields(),
    options: opts,
    task: 'bench-noop (returns at once), no evaluators, flushEvery default',
    ...runFields(startRss, totalSeconds),
    formulas: {
      cpuMsPerExample: '(utime+stime after - before, /proc/<pid>/stat, experiment start -> result) * 1000 / n',
      server: 'the dev server (temporal CLI) or temporal-server process, with its children',
      database: 'PostgreSQL postmaster utime+stime+cutime+cstime + its live children utime+stime; null on the dev server (SQLite runs inside it)',
      worker: 'the `dxp worker` process',
      others: 'machine busy time (/proc/stat: user+nice+system+irq+softirq+steal) - server - database - worker - bench process',
      oursCoreShare: '(server + database + worker + bench CPU s) / wall s / cores',
      workerPeakRssMb: 'max VmRSS of the worker process, sampled every 500 ms from start to result',
      workerRssSecondHalfOverFirst: 'max worker RSS of the 30 s progress ticks with done > n/2 / max of those with done <= n/2',
      parentEventsPerExample: 'sum of events over every run of the experiment continue-as-new chain / n',
      parentBytesPerExample: 'sum of historySizeBytes (describe) over the chain / n',
      childPerExample: 'mean historyLength and historySizeBytes of 100 example workflows spread over the dataset',
      temporalDbBytesPerExample: 'cluster: pg_database_size(temporal) + pg_database_size(temporal_visibility), after - before, / n; dev: SQLite file + -wal, after - before, / n',
      resultsBytesPerExample: 'cluster: pg_database_size(dxp_results) after - before / n; dev: bytes of the worker local store folder after - before / n',
      continueAsNewS: 'first event time of generation k+1 - first event time of generation k',
      load1: '1-min load average before the experiment, after it, and mean and max of the 30 s progress ticks',
    },
    results: results.map((r) => ({ ...r, figures: scaleFigures(r) })),
    rssFlatness: rssFlatness(results),
  });
}
