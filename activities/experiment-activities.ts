/**
 * Activities of the experiment workflow: plan the run, read the dataset page by page,
 * store run records in the results sink, and summarize at the end.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Example, ExperimentSummary, ResolvedDataset, RunRecord, TaskPlan } from '../core/records';
import { dryRunCap } from '../core/dry-run';
import type { ExperimentSpec } from '../core/spec';
import { isSampled, planSample, type DatasetSources, type SamplePlan } from './datasets';
import type { AppendResult, ResultsStore } from './sinks';
import { InvalidPlanError, type TaskRegistry } from './tasks/registry';
import { FAILURE_TYPES } from '../core/failure-types';
import { whileHeartbeating } from './shared/heartbeat';

/** Rows are carried through workflow history; keep one page's result well under the 2 MB payload limit. */
const MAX_PAGE_BYTES = 1024 * 1024;

export interface ExperimentActivityDeps {
  registry: TaskRegistry;
  sink: ResultsStore;
  datasets: DatasetSources;
  /** The worker's model task queue: model-bound activities of every plan are routed there. */
  modelTaskQueue?: string;
  /** The task queue of this worker's results store: the experiment's store calls are routed there. */
  resultsTaskQueue?: string;
}

export interface PrepareInput {
  experimentId: string;
  spec: ExperimentSpec;
  workflowId: string;
}

export interface Prepared {
  plan: TaskPlan;
  /** The dataset, fixed for the whole experiment (an Arize dataset pinned to one version). */
  source: ResolvedDataset;
  sample?: SamplePlan;
  /** Runs the experiment will have: selected examples x repetitions. */
  total: number;
  location?: string;
  /** The results store that opened the experiment (its identity): every run goes there. */
  store?: string;
  /** Where the store's activities run: only workers of that store poll it. */
  storeTaskQueue?: string;
}

export interface RecordInput {
  experimentId: string;
  runs: RunRecord[];
  /** The experiment's store; absent in experiments prepared before stores had identities. */
  store?: string;
}

export interface FinalizeInput {
  experimentId: string;
  status: ExperimentSummary['status'];
  store?: string;
}

export interface ReadInput {
  source: ResolvedDataset;
  cursor: string | null;
  limit: number;
  sample?: SamplePlan;
}

export function createExperimentActivities(deps: ExperimentActivityDeps) {
  /** Experiments known to be open in this worker's store. */
  const opened = new Set<string>();
  return {
    async prepareExperiment({ experimentId, spec, workflowId }: PrepareInput): Promise<Prepared> {
      let plan: TaskPlan;
      try {
        plan = deps.registry.plan(spec, deps.modelTaskQueue ? { modelTaskQueue: deps.modelTaskQueue } : {});
      } catch (err) {
        if (err instanceof InvalidPlanError) throw ApplicationFailure.nonRetryable(err.message, FAILURE_TYPES.invalidPlan);
        throw err;
      }
      const signal = Context.current().cancellationSignal;
      const source = await invalidDatasetIsFatal(() => deps.datasets.resolve(spec.dataset, signal));
      const { sample, selected } = await invalidDatasetIsFatal(async () => {
        const examples = heartbeating(deps.datasets.open(source, signal).scan());
        if (spec.sample) {
          const sample = await planSample(examples, spec.sample);
          return { sample, selected: sample.selected };
        }
        let selected = 0;
        for await (const _ of examples) selected++;
        return { sample: undefined, selected };
      });
      const cap = dryRunCap(spec.dryRun);
      await deps.sink.open({ experimentId, name: spec.name, spec, startedAt: new Date().toISOString(), workflowId });
      return {
        plan,
        source,
        ...(sample ? { sample } : {}),
        total: Math.min(selected, cap) * spec.repetitions,
        location: deps.sink.locationOf(experimentId),
        store: deps.sink.identity,
        ...(deps.resultsTaskQueue ? { storeTaskQueue: deps.resultsTaskQueue } : {}),
      };
    },

    async readExamples(input: ReadInput): Promise<{ examples: Example[]; nextCursor: string | null }> {
      return whileHeartbeating(() => readPage(input));
    },

    async recordRuns({ experimentId, runs, store }: RecordInput): Promise<AppendResult> {
      refuseOtherStore(experimentId, store);
      return whileHeartbeating(async () => {
        await openHere(experimentId, store);
        return deps.sink.append(experimentId, runs);
      });
    },

    async finalizeExperiment({ experimentId, status, store }: FinalizeInput): Promise<ExperimentSummary> {
      refuseOtherStore(experimentId, store);
      return whileHeartbeating(async () => {
        await openHere(experimentId, store);
        return deps.sink.summarize(experimentId, status, new Date().toISOString());
      });
    },
  };

  /**
   * No silent split: store calls go to the store's own task queue, which only workers of that
   * store poll. Should one still reach a worker with another store (an experiment from before
   * that routing, a hand-made queue name), it is refused and retried, never written here.
   */
  function refuseOtherStore(experimentId: string, store: string | undefined): void {
    if (store === undefined || store === deps.sink.identity) return;
    throw ApplicationFailure.retryable(
      `experiment ${experimentId} stores its runs in ${store}; this worker's results store is ${deps.sink.identity}: ` +
        'give every worker of this task queue the same DXP_RESULTS_URL (or, without one, only one machine)',
      'OtherResultsStore',
    );
  }

  /**
   * An experiment prepared before stores had identities (no `store`) may have been opened in
   * another worker's folder: open it here on first use (its meta says so) and keep the runs here.
   */
  async function openHere(experimentId: string, store: string | undefined): Promise<void> {
    if (store !== undefined) return;
    if (opened.has(experimentId)) return;
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
    await deps.sink.open({ experimentId, name: experimentId, spec: null, startedAt: new Date().toISOString(), workflowId, openedBy: 'recordRuns' });
    opened.add(experimentId);
  }

  async function readPage({ source, cursor, limit, sample }: ReadInput): Promise<{ examples: Example[]; nextCursor: string | null }> {
    const reader = deps.datasets.open(source, Context.current().cancellationSignal);
    // Shrink the page until it fits the payload budget; a single oversized row fails alone.
    for (let size = limit; ; size = Math.max(1, Math.floor(size / 2))) {
      const page = await reader.readPage(cursor, size);
      const examples = sample ? page.examples.filter((ex) => isSampled(sample, ex)) : page.examples;
      const bytes = Buffer.byteLength(JSON.stringify(examples));
      if (bytes <= MAX_PAGE_BYTES) return { examples, nextCursor: page.nextCursor };
      if (size === 1) {
        const tooBig = examples.map((ex) => ({ ...ex, input: null, expected: null, metadata: {}, row: {}, malformed: `row is ${bytes} bytes; rows are limited to ${MAX_PAGE_BYTES}` }));
        return { examples: tooBig, nextCursor: page.nextCursor };
      }
    }
  }
}

export type ExperimentActivities = ReturnType<typeof createExperimentActivities>;

/**
 * A missing file, an unknown Arize dataset or a bad key will not fix itself: fail the experiment
 * with the reason. Errors that say they are transient (Arize 429/5xx, network) are retried.
 */
async function invalidDatasetIsFatal<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { retryable?: unknown }).retryable === true) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw ApplicationFailure.nonRetryable(`dataset: ${message}`, FAILURE_TYPES.invalidDataset);
  }
}

/** Heartbeats while a long scan runs, so a dead worker is noticed within the heartbeat timeout. */
async function* heartbeating<T>(items: AsyncIterable<T>): AsyncIterable<T> {
  let n = 0;
  for await (const item of items) {
    if (++n % 1000 === 0) Context.current().heartbeat({ scanned: n });
    yield item;
  }
  Context.current().heartbeat({ scanned: n });
}
