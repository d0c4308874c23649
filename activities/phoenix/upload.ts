/**
 * Exactly-once upload of run records into one Phoenix experiment. Phoenix keeps one run per
 * (example, repetition): a successful one is refused again with 409 ("already stored"), a failed
 * one is updated in place; evaluations are upserts by (run, name). So every step may repeat after
 * a retry or a crash. Only the experiment's create may not: a retry first lists the dataset's
 * experiments and adopts the one whose metadata names this workflow.
 */
import type { RunRecord } from '../../core/records';
import { toPhoenixEvaluations, toPhoenixRun } from './runs';
import type { PhoenixClient, PhoenixExperiment } from './types';

/** Experiment metadata naming the workflow that owns it: how a retry tells ours from a namesake. */
export const OWNER_KEY = 'dxp.workflow_id';
/** Requests in flight at once: Phoenix writes to one database, so more mostly queue there. */
export const UPLOAD_CONCURRENCY = 8;

export interface PhoenixUploadInput {
  experimentName: string;
  datasetId: string;
  versionId: string;
  repetitions: number;
  ownerWorkflowId: string;
  /** Known once the first batch created (or adopted) the experiment. */
  phoenixExperimentId?: string;
  runs: RunRecord[];
  /** Evaluator columns judged by a model (annotator kind LLM; the others are CODE). */
  llmEvaluators?: string[];
}

export interface PhoenixUploadResult {
  phoenixExperimentId: string;
  /** Runs sent now. */
  appended: number;
  /** Runs Phoenix already held (a retry, or a batch sent before a crash). */
  alreadyStored: number;
}

export async function uploadPhoenixRuns(
  client: PhoenixClient,
  input: PhoenixUploadInput,
  opts: { signal?: AbortSignal; onProgress?: () => void; concurrency?: number } = {},
): Promise<PhoenixUploadResult> {
  const { signal } = opts;
  const call = signal ? { signal } : {};
  const concurrency = opts.concurrency ?? UPLOAD_CONCURRENCY;
  // A duplicate row's failed run would be a second run of the earlier row's example: kept local only.
  const runs = input.runs.filter((run) => run.duplicateRow === undefined);
  const experimentId = input.phoenixExperimentId ?? (await findOurs(client, input, signal))?.id ?? (await create(client, input, signal)).id;

  const runIds = new Map<string, string>();
  const stored: RunRecord[] = [];
  await inParallel(runs, concurrency, async (run) => {
    const created = await client.createRun(experimentId, toPhoenixRun(run), call);
    if (created === 'exists') stored.push(run);
    else runIds.set(keyOf(run.exampleId, run.repetition), created.id);
    opts.onProgress?.();
  });
  if (stored.length > 0) {
    // Their ids, for the evaluations (which may be what the earlier attempt did not get to).
    for (const run of await client.listRuns(experimentId, call)) runIds.set(keyOf(run.dataset_example_id, run.repetition_number), run.id);
    opts.onProgress?.();
  }
  const llm = new Set(input.llmEvaluators ?? []);
  await inParallel(runs, concurrency, async (run) => {
    const runId = runIds.get(keyOf(run.exampleId, run.repetition));
    if (runId === undefined) throw new Error(`Phoenix refused run ${keyOf(run.exampleId, run.repetition)} as stored, but does not list it`);
    for (const evaluation of toPhoenixEvaluations(run, runId, llm)) await client.upsertEvaluation(evaluation, call);
    opts.onProgress?.();
  });
  return { phoenixExperimentId: experimentId, appended: runs.length - stored.length, alreadyStored: stored.length };
}

/** Our experiment on the dataset, if an earlier attempt made it (the oldest, should a lost create have made two). */
export async function findOurs(client: PhoenixClient, input: Pick<PhoenixUploadInput, 'datasetId' | 'experimentName' | 'ownerWorkflowId'>, signal?: AbortSignal): Promise<PhoenixExperiment | undefined> {
  const all = await client.listExperiments(input.datasetId, signal ? { signal } : {});
  const ours = all.filter((e) => e.name === input.experimentName && e.metadata[OWNER_KEY] === input.ownerWorkflowId);
  return ours.sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? '') || a.id.localeCompare(b.id))[0];
}

function create(client: PhoenixClient, input: PhoenixUploadInput, signal?: AbortSignal): Promise<PhoenixExperiment> {
  const metadata = { [OWNER_KEY]: input.ownerWorkflowId, 'dxp.experiment': input.experimentName };
  return client.createExperiment(input.datasetId, { name: input.experimentName, versionId: input.versionId, repetitions: input.repetitions, metadata }, signal ? { signal } : {});
}

function keyOf(exampleId: string, repetition: number): string {
  return `${exampleId}#${repetition}`;
}

/** Runs `fn` over `items` with at most `limit` in flight; the first failure rejects (the rest finish first). */
async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.err;
}
