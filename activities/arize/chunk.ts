/** Splitting runs into request-sized batches for create and append. */
import type { ArizeRunInput } from './types';

/** The API takes at most this many runs per create or append request. */
export const MAX_RUNS_PER_REQUEST = 1000;
/** Default byte budget per request: the size limit is undocumented, and the Python SDK stays under ~8 MB. */
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** Room left for the body's envelope (`{"name":...,"dataset_id":...,"experiment_runs":[...]}`). */
const ENVELOPE_BYTES = 2048;

/**
 * Splits runs, in order, into batches of at most `maxRuns` runs whose JSON stays under `maxBytes`.
 * Throws a RangeError for a single run too large to send at all.
 */
export function chunkRuns<T extends ArizeRunInput>(
  runs: readonly T[],
  { maxRuns = MAX_RUNS_PER_REQUEST, maxBytes = DEFAULT_MAX_REQUEST_BYTES }: { maxRuns?: number; maxBytes?: number } = {},
): T[][] {
  if (!Number.isInteger(maxRuns) || maxRuns < 1 || maxRuns > MAX_RUNS_PER_REQUEST) {
    throw new RangeError(`maxRuns must be an integer from 1 to ${MAX_RUNS_PER_REQUEST}, got ${maxRuns}`);
  }
  const budget = maxBytes - ENVELOPE_BYTES;
  if (!Number.isFinite(budget) || budget <= 0) throw new RangeError(`maxBytes must exceed ${ENVELOPE_BYTES}, got ${maxBytes}`);
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const run of runs) {
    const size = Buffer.byteLength(JSON.stringify(run), 'utf8') + 1; // + the separating comma
    if (size > budget) {
      throw new RangeError(`run for example ${run.example_id} is ${size} bytes as JSON, more than one request may carry (${budget})`);
    }
    if (batch.length === maxRuns || bytes + size > budget) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(run);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
