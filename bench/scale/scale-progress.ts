/**
 * A line every 30 s while a scale run goes on: done/total, rate, the machine's load and the
 * worker's RSS, so a run of hours shows where it is. The ticks go into the figures.
 */
import { loadavg } from 'node:os';
import type { ExperimentHandle } from '../../client/experiments';
import { progressQuery } from '../../workflows/experiment-contract';
import { fmt } from '../shared/report';

export const PROGRESS_EVERY_MS = 30_000;

/** One progress line's figures, kept for the results file: RSS over time says whether it would stay flat at a larger N. */
export interface ProgressTick {
  atS: number;
  done: number | null;
  load1: number;
  workerRssMb: number;
}

export function progressPrinter(label: string, handle: ExperimentHandle, n: number, workerRssMb: () => number) {
  const t0 = Date.now();
  const ticks: ProgressTick[] = [];
  let last = { at: t0, done: 0 };
  let busy = false;
  const tick = async (): Promise<void> => {
    // A query is a workflow task on the worker: never stack them up on a starved one.
    if (busy) return;
    busy = true;
    const load = loadavg()[0] ?? NaN;
    const s = Math.round((Date.now() - t0) / 1000);
    const tick: ProgressTick = { atS: s, done: null, load1: load, workerRssMb: workerRssMb() };
    ticks.push(tick);
    try {
      const p = await handle.query(progressQuery);
      const done = p.counts.succeeded + p.counts.failed;
      tick.done = done;
      const now = Date.now();
      const recent = ((done - last.done) / (now - last.at)) * 1000;
      last = { at: now, done };
      console.log(
        `[${label}] +${s} s: ${done}/${n} done (${p.running} running, generation ${p.generation}), ${fmt((done / (now - t0)) * 1000, 1)}/s overall, ` +
          `${fmt(recent, 1)}/s last interval; load ${fmt(load, 2)}; worker RSS ${fmt(tick.workerRssMb, 0)} MB`,
      );
    } catch (err) {
      console.log(`[${label}] +${s} s: progress query failed (${(err as Error).message.split('\n')[0]}); load ${fmt(load, 2)}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), PROGRESS_EVERY_MS);
  return {
    /** Stops printing; what each line showed. */
    stop(): ProgressTick[] {
      clearInterval(timer);
      return ticks;
    },
  };
}
