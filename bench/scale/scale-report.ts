/** What the scale benchmark prints: the opening line, two tables (pace and CPU; history and storage) and the formulas. */
import { cpus, loadavg, totalmem } from 'node:os';
import type { ScaleOptions } from './scale-args';
import { rssFlatness, scaleFigures } from './scale-figures';
import type { ScaleResult } from './scale-run';
import { mb } from '../shared/process-stats';
import { fmt, table } from '../shared/report';

export function scaleHeader(opts: ScaleOptions, workDir: string): string {
  return (
    `scale: N=${opts.ns.join(', ')} no-op examples, C=${opts.c}, targets ${opts.targets.join(', ')}; ` +
    `node ${process.version}, ${cpus().length} CPU(s), ${mb(totalmem())} MB RAM; 1-min load average ${fmt(loadavg()[0], 2)}; work dir ${workDir}`
  );
}

const kb = (bytes: number | null): string => (bytes === null ? 'n/a' : fmt(bytes / 1024, 2));

export function scaleReport(results: ScaleResult[]): string {
  const rows = results.map((r) => ({ r, f: scaleFigures(r) }));
  const pace = table(
    ['target', 'N', 'wall s', 'ex/s', 'CPU ms/ex server', 'database', 'worker', 'bench', 'others', 'worker peak RSS MB', 'load 1-min before/mean/after', 'ok'],
    rows.map(({ r, f }) => [
      r.target,
      String(r.n),
      fmt(f.wallS, 0),
      fmt(f.examplesPerSec, 1),
      fmt(f.cpuMsPerExample.server, 1),
      r.target === 'dev' ? '(in server)' : fmt(f.cpuMsPerExample.database, 1),
      fmt(f.cpuMsPerExample.worker, 1),
      fmt(f.cpuMsPerExample.benchProcess, 1),
      fmt(f.cpuMsPerExample.others, 1),
      fmt(f.workerPeakRssMb, 0),
      `${fmt(f.load1.before, 1)} / ${fmt(f.load1.mean, 1)} / ${fmt(f.load1.after, 1)}`,
      `${r.summary.succeeded}/${r.summary.runs}`,
    ]),
  );
  const history = table(
    ['target', 'N', 'parent ev/ex', 'parent KiB/ex', 'child ev/ex', 'child KiB/ex', 'Temporal db KiB/ex', 'results KiB/ex', 'continue-as-new', 'CAN s min/median/max', 'wft failed/timed out'],
    rows.map(({ r, f }) => [
      r.target,
      String(r.n),
      fmt(f.parentEventsPerExample, 2),
      kb(f.parentBytesPerExample),
      fmt(f.childEventsPerExample, 1),
      kb(f.childBytesPerExample),
      kb(f.temporalDbBytesPerExample),
      kb(f.resultsBytesPerExample),
      String(f.continueAsNew.count),
      f.continueAsNew.seconds ? `${fmt(f.continueAsNew.seconds.min, 1)} / ${fmt(f.continueAsNew.seconds.median, 1)} / ${fmt(f.continueAsNew.seconds.max, 1)}` : '-',
      `${r.parent.workflowTaskFailed}/${r.parent.workflowTaskTimedOut}`,
    ]),
  );
  const out = ['', pace, '', history];
  for (const { r, f } of rows) {
    out.push(
      `${r.target} N=${r.n}: continue-as-new every ${f.continueAsNew.listS.join(', ') || '-'} s; ` +
        `worker RSS ${fmt(r.workerRss.startMb, 0)} MB at start, peak ${fmt(r.workerRss.peakMb, 0)}, second half's peak / first half's ${fmt(f.workerRssSecondHalfOverFirst, 2)}; ${r.describe}`,
    );
  }
  for (const x of rssFlatness(results)) {
    out.push(`${x.target}: worker peak RSS at N=${x.n} is ${fmt(x.ratio, 2)}x that at N=${x.baseN}: ${x.flat ? 'flat (within ±20%)' : 'NOT flat (beyond ±20%)'}`);
  }
  return out.join('\n');
}

export const SCALE_FORMULAS =
  '\nformulas: CPU ms/ex = (utime+stime after − before, from /proc/<pid>/stat, start → result) / N. server: the dev server or temporal-server process; ' +
  'database: PostgreSQL postmaster incl. cutime+cstime (backends that exited) + live backends (SQLite is inside the dev server); worker: the `dxp worker` process; ' +
  'bench: this process (client, progress queries); others: the whole machine (/proc/stat) minus all of ours.\n' +
  'parent ev/ex, KiB/ex: events and historySizeBytes summed over every run of the continue-as-new chain / N; child: mean over a sample of 100 example workflows; ' +
  'Temporal db: pg_database_size(temporal + temporal_visibility), or the SQLite file + -wal, after − before / N; results: dxp_results, or the local store folder.\n' +
  'continue-as-new s: from one generation\'s first event to the next one\'s. Worker RSS: VmRSS sampled every 500 ms.';
