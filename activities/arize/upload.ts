/**
 * Exactly-once upload of run records into one Arize experiment. The API has no idempotency key,
 * so a retry reconciles with what the server already holds: an experiment of our name is adopted
 * only if its runs say they are ours, and runs already stored are not appended again.
 */
import type { RunRecord } from '../../core/records';
import { chunkRuns } from './chunk';
import { ArizeApiError } from './errors';
import { OWNER_COLUMN, RUN_KEY_COLUMN, toArizeRun } from './runs';
import type { ArizeClient, ArizeExperiment } from './types';

export interface UploadInput {
  experimentName: string;
  datasetId: string;
  /** The experiment workflow: written on every run, checked before adopting an existing experiment. */
  ownerWorkflowId: string;
  /** Known once the first upload created (or adopted) the experiment. */
  arizeExperimentId?: string;
  runs: RunRecord[];
  /** Check the server for runs already stored (a retry, or a batch sent before). */
  reconcile: boolean;
}

export interface UploadResult {
  arizeExperimentId: string;
  appended: number;
  alreadyStored: number;
}

export class ExperimentNameTakenError extends Error {
  constructor(name: string, datasetId: string) {
    super(`an Arize experiment named '${name}' already exists on dataset ${datasetId} and was not made by this experiment; choose another name`);
    this.name = 'ExperimentNameTakenError';
  }
}

export async function uploadRuns(client: ArizeClient, input: UploadInput, opts: { signal?: AbortSignal; onProgress?: () => void } = {}): Promise<UploadResult> {
  const { signal } = opts;
  // A duplicate row's failed run would be a second run of the earlier row's example: kept local only.
  let runs = input.runs.filter((run) => run.duplicateRow === undefined).map((run) => toArizeRun(run, input.ownerWorkflowId));
  let experimentId = input.arizeExperimentId;
  let reconcile = input.reconcile;
  let appended = 0;

  if (!experimentId) {
    const existing = await findOurs(client, input, signal);
    if (existing) {
      experimentId = existing.id;
      reconcile = true;
    } else if (runs.length > 0) {
      const [first = [], ...rest] = chunkRuns(runs);
      try {
        experimentId = (await client.createExperiment({ name: input.experimentName, datasetId: input.datasetId, runs: first }, { signal })).id;
        appended += first.length;
        runs = rest.flat();
      } catch (err) {
        // 409: created by an earlier attempt whose response was lost, or by someone else.
        if (!(err instanceof ArizeApiError) || err.status !== 409) throw err;
        const adopted = await findOurs(client, input, signal);
        if (!adopted) throw new ExperimentNameTakenError(input.experimentName, input.datasetId);
        experimentId = adopted.id;
        reconcile = true;
      }
    } else {
      throw new Error('nothing to upload and no experiment yet: Arize refuses empty experiments');
    }
  }

  let alreadyStored = 0;
  if (reconcile && runs.length > 0) {
    const stored = await storedRunKeys(client, experimentId, signal, opts.onProgress);
    const fresh = runs.filter((run) => !stored.has(String(run[RUN_KEY_COLUMN])));
    alreadyStored = runs.length - fresh.length;
    runs = fresh;
  }
  for (const chunk of chunkRuns(runs)) {
    await client.appendRuns(experimentId, chunk, { signal });
    appended += chunk.length;
    opts.onProgress?.();
  }
  return { arizeExperimentId: experimentId, appended, alreadyStored };
}

/** The experiment of our name if it is ours; throws if it exists and is someone else's. */
async function findOurs(client: ArizeClient, input: UploadInput, signal?: AbortSignal): Promise<ArizeExperiment | undefined> {
  const existing = await client.findExperiment(input.datasetId, input.experimentName, { signal });
  if (!existing) return undefined;
  const first = await client.listRuns(existing.id, { limit: 1 }, { signal });
  const owner = first.items[0]?.[OWNER_COLUMN];
  if (owner !== input.ownerWorkflowId) throw new ExperimentNameTakenError(input.experimentName, input.datasetId);
  return existing;
}

/** Every run key stored in the experiment (all pages). */
export async function storedRunKeys(client: ArizeClient, experimentId: string, signal?: AbortSignal, onPage?: () => void): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor: string | null = null;
  do {
    const page = await client.listRuns(experimentId, { cursor, limit: 500 }, { signal });
    for (const run of page.items) {
      const key = run[RUN_KEY_COLUMN];
      if (typeof key === 'string') keys.add(key);
    }
    cursor = page.nextCursor;
    onPage?.();
  } while (cursor !== null);
  return keys;
}

