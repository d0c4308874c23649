/** The per-example figures of a scale run, derived in one place for the table and the results file. */
import type { ScaleResult } from './scale-run';

const perExampleMs = (seconds: number | null, n: number): number | null => (seconds === null ? null : (seconds * 1000) / n);

function spread(xs: number[]): { min: number; median: number; max: number } | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { min: s[0] as number, median, max: s[s.length - 1] as number };
}

export function scaleFigures(r: ScaleResult) {
  const { n, cpuS } = r;
  const ours = (cpuS.server ?? 0) + (cpuS.database ?? 0) + (cpuS.worker ?? 0) + cpuS.benchProcess;
  const loads = r.progress.map((t) => t.load1);
  // Peak RSS of the run's second half against its first: near 1 means it stopped growing with N.
  const halfPeak = (second: boolean): number | null => {
    const xs = r.progress.filter((t) => t.done !== null && t.done > n / 2 === second).map((t) => t.workerRssMb);
    return xs.length ? Math.max(...xs) : null;
  };
  const [first, second] = [halfPeak(false), halfPeak(true)];
  const secs = r.parent.continueAsNewMs.map((ms) => ms / 1000);
  return {
    wallS: r.wallMs / 1000,
    examplesPerSec: r.examplesPerSec,
    cpuMsPerExample: {
      server: perExampleMs(cpuS.server, n),
      database: perExampleMs(cpuS.database, n),
      worker: perExampleMs(cpuS.worker, n),
      benchProcess: perExampleMs(cpuS.benchProcess, n),
      ours: perExampleMs(ours, n),
      /** Everything else the machine ran meanwhile (another user's jobs). */
      others: cpuS.machine === null ? null : perExampleMs(cpuS.machine - ours, n),
    },
    /** Share of all cores our processes kept busy. */
    oursCoreShare: ours / (r.wallMs / 1000) / r.cores,
    workerPeakRssMb: r.workerRss.peakMb,
    workerRssSecondHalfOverFirst: first && second ? second / first : null,
    parentEventsPerExample: r.parent.events / n,
    parentBytesPerExample: r.parent.bytes / n,
    childEventsPerExample: r.children.eventsPerChild,
    childBytesPerExample: r.children.bytesPerChild,
    temporalDbBytesPerExample: (r.storedBytes.after.temporal - r.storedBytes.before.temporal) / n,
    resultsBytesPerExample: (r.storedBytes.after.results - r.storedBytes.before.results) / n,
    continueAsNew: { count: r.parent.continueAsNewMs.length, seconds: spread(secs), listS: secs.map((s) => Math.round(s * 10) / 10) },
    load1: { before: r.load1.before, after: r.load1.after, mean: loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : null, max: loads.length ? Math.max(...loads) : null },
  };
}

export type ScaleFigures = ReturnType<typeof scaleFigures>;

/** Each run's worker peak RSS against the same target's smallest N: the ±20% that "flat" allows. */
export function rssFlatness(results: ScaleResult[]): { target: string; n: number; baseN: number; ratio: number; flat: boolean }[] {
  const out = [];
  for (const r of results) {
    const base = results.filter((b) => b.target === r.target).sort((a, b) => a.n - b.n)[0];
    if (!base || base === r) continue;
    const ratio = r.workerRss.peakMb / base.workerRss.peakMb;
    out.push({ target: r.target, n: r.n, baseN: base.n, ratio, flat: Math.abs(ratio - 1) <= 0.2 });
  }
  return out;
}
