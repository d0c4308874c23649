/** Means and percentiles of plain number lists: the small statistics compare and report share. */

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** The q-quantile (0..1) of sorted values, interpolated linearly between neighbours (R's type 7, numpy's default). */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  const low = sorted[lo]!;
  return low + (sorted[hi]! - low) * (at - lo);
}

export interface Spread {
  count: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((x, y) => x - y);
  return { count: sorted.length, mean: mean(sorted), p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
}

/** b − a, or null when either side has no value. */
export function delta(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined ? null : b - a;
}
