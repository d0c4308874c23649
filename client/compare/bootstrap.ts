/**
 * The paired bootstrap: a confidence interval of the mean of per-example differences (b − a), by
 * resampling the examples with replacement. Seeded, so the same inputs always print the same
 * interval (a CI gate must not flap between runs of `dxp compare`).
 */
import { quantile } from './distribution';

export const DEFAULT_RESAMPLES = 2_000;
export const DEFAULT_SEED = 1;
export const DEFAULT_LEVEL = 0.95;

/** mulberry32: a tiny 32-bit PRNG, uniform in [0, 1); plenty for resampling indices, and reproducible everywhere. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  /** Coverage of the interval, default 0.95. */
  level?: number;
}

export interface Interval {
  low: number;
  high: number;
  level: number;
  resamples: number;
  seed: number;
}

/** Percentile interval of the resampled means of `diffs`; null for no differences at all. */
export function pairedBootstrap(diffs: readonly number[], opts: BootstrapOptions = {}): Interval | null {
  const resamples = opts.resamples ?? DEFAULT_RESAMPLES;
  const seed = opts.seed ?? DEFAULT_SEED;
  const level = opts.level ?? DEFAULT_LEVEL;
  const n = diffs.length;
  if (n === 0) return null;
  const random = mulberry32(seed);
  const means = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += diffs[Math.floor(random() * n)]!;
    means[r] = sum / n;
  }
  means.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  return { low: quantile(means, tail)!, high: quantile(means, 1 - tail)!, level, resamples, seed };
}
