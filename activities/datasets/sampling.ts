/**
 * Seeded, deterministic sampling that can be applied page by page.
 *
 * Every example gets a hash in [0, 1) from its seed, index and id. A planning pass picks, per
 * stratum, how many examples to keep and records the hash of the last one kept; afterwards any
 * page can be filtered with `isSampled` alone, without holding the dataset in memory.
 *
 * Malformed examples are never sampled and are not counted in `total`: they carry no row to
 * stratify on, and a sample should consist of examples that can actually run.
 */
import { createHash } from 'node:crypto';
import type { SampleSpec } from '../../core/spec';
import type { Example } from '../../core/records';
import type { SamplePlan } from '../../core/sample-plan';

export type { SamplePlan } from '../../core/sample-plan';

/** Above every hash (hashes are < 1): keeps a whole stratum. Stays JSON-safe, unlike Infinity. */
const KEEP_ALL = 1;
/** Below every hash: keeps nothing. */
const KEEP_NONE = -1;

export async function planSample(examples: AsyncIterable<Example>, sample: SampleSpec): Promise<SamplePlan> {
  const { seed, stratifyBy, count, fraction } = sample;
  if ((count === undefined) === (fraction === undefined)) throw new Error('sample needs exactly one of count or fraction');

  // One number per example: the hash, grouped by stratum.
  const hashes = new Map<string, number[]>();
  let total = 0;
  for await (const example of examples) {
    if (example.malformed !== undefined) continue;
    total += 1;
    const key = stratumOf(stratifyBy, example);
    let list = hashes.get(key);
    if (list === undefined) hashes.set(key, (list = []));
    list.push(hashOf(seed, example));
  }

  const strata = [...hashes.keys()].sort(compareStrings);
  const sizes = strata.map((key) => hashes.get(key)?.length ?? 0);
  const keep = count !== undefined ? allocateCount(count, sizes) : sizes.map((size) => Math.max(1, Math.round((fraction ?? 1) * size)));

  const thresholds = Object.fromEntries(
    strata.map((key, i) => {
      const k = keep[i] ?? 0;
      const size = sizes[i] ?? 0;
      if (k <= 0) return [key, KEEP_NONE];
      if (k >= size) return [key, KEEP_ALL];
      const sorted = Float64Array.from(hashes.get(key) ?? []).sort();
      return [key, sorted[k - 1] ?? KEEP_NONE];
    }),
  ) as Record<string, number>;

  const selected = keep.reduce((sum, k, i) => sum + Math.min(k, sizes[i] ?? 0), 0);
  return { seed, ...(stratifyBy !== undefined ? { stratifyBy } : {}), thresholds, selected, total };
}

export function isSampled(plan: SamplePlan, example: Example): boolean {
  if (example.malformed !== undefined) return false;
  const key = stratumOf(plan.stratifyBy, example);
  if (!Object.hasOwn(plan.thresholds, key)) return false;
  const threshold = plan.thresholds[key] ?? KEEP_NONE;
  return hashOf(plan.seed, example) <= threshold;
}

/**
 * Splits `count` over strata in proportion to their sizes (largest remainder, so the parts sum
 * to exactly min(count, total)); when there are enough to go round, every stratum gets one.
 */
function allocateCount(count: number, sizes: number[]): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const k = Math.min(count, total);
  if (total === 0) return sizes.map(() => 0);
  // Integer arithmetic: quota = size * k / total, exactly.
  const keep = sizes.map((size) => Math.floor((size * k) / total));
  const remainders = sizes.map((size) => (size * k) % total);
  const order = sizes.map((_, i) => i).sort((a, b) => (remainders[b] ?? 0) - (remainders[a] ?? 0) || (sizes[b] ?? 0) - (sizes[a] ?? 0) || a - b);
  let left = k - keep.reduce((a, b) => a + b, 0);
  for (const i of order) {
    if (left <= 0) break;
    keep[i] = (keep[i] ?? 0) + 1;
    left -= 1;
  }
  if (k >= sizes.length) {
    // A stratum too small for its own quota still gets one, taken from the largest share.
    for (let i = 0; i < keep.length; i++) {
      if (keep[i] !== 0) continue;
      const donor = keep.reduce((best, v, j) => (v > (keep[best] ?? 0) ? j : best), 0);
      keep[donor] = (keep[donor] ?? 0) - 1;
      keep[i] = 1;
    }
  }
  return keep;
}

function stratumOf(stratifyBy: string | undefined, example: Example): string {
  return stratifyBy === undefined ? '' : String(example.row[stratifyBy] ?? '');
}

/** 53 bits of sha256, so the hash is exact in a double and ties are practically impossible. */
function hashOf(seed: number, example: Example): number {
  const digest = createHash('sha256').update(`${seed}:${example.index}:${example.id}`).digest();
  return (digest.readUIntBE(0, 6) * 32 + ((digest[6] ?? 0) >> 3)) / 2 ** 53;
}

/** Locale-independent, so the plan is the same on every worker. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
