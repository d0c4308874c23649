/**
 * Activities of the experiment workflow: plan the run, read the dataset page by page,
 * store run records in the results sink, and summarize at the end.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Example, ExperimentSummary, RunRecord, TaskPlan } from '../workflows/records';
import { DRY_RUN_DEFAULT_COUNT, type DatasetSpec, type ExperimentSpec } from '../workflows/spec';
import { isSampled, openLocalDataset, planSample, type SamplePlan } from './datasets';
import type { AppendResult, ResultsSink } from './sinks';
import { InvalidPlanError, type TaskRegistry } from './tasks/registry';

/** Rows are carried through workflow history; keep one page's result well under the 2 MB payload limit. */
const MAX_PAGE_BYTES = 1024 * 1024;

export interface ExperimentActivityDeps {
  registry: TaskRegistry;
  sink: ResultsSink;
  /** Relative dataset paths resolve against this folder (the directory of the spec file). */
  datasetBaseDir?: string;
}

export interface PrepareInput {
  experimentId: string;
  spec: ExperimentSpec;
  workflowId: string;
}

export interface Prepared {
  plan: TaskPlan;
  sample?: SamplePlan;
  /** Runs the experiment will have: selected examples x repetitions. */
  total: number;
  location?: string;
}

export interface ReadInput {
  dataset: DatasetSpec;
  cursor: string | null;
  limit: number;
  sample?: SamplePlan;
}

export function createExperimentActivities(deps: ExperimentActivityDeps) {
  const open = (dataset: DatasetSpec) => openLocalDataset(dataset, deps.datasetBaseDir);

  return {
    async prepareExperiment({ experimentId, spec, workflowId }: PrepareInput): Promise<Prepared> {
      let plan: TaskPlan;
      try {
        plan = deps.registry.plan(spec);
      } catch (err) {
        if (err instanceof InvalidPlanError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidExperiment');
        throw err;
      }
      const { sample, selected } = await invalidDatasetIsFatal(async () => {
        const examples = heartbeating(open(spec.dataset).scan());
        if (spec.sample) {
          const sample = await planSample(examples, spec.sample);
          return { sample, selected: sample.selected };
        }
        let selected = 0;
        for await (const _ of examples) selected++;
        return { sample: undefined, selected };
      });
      const cap = spec.dryRun === false ? Infinity : spec.dryRun === true ? DRY_RUN_DEFAULT_COUNT : spec.dryRun;
      await deps.sink.open({ experimentId, name: spec.name, spec, startedAt: new Date().toISOString(), workflowId });
      return { plan, ...(sample ? { sample } : {}), total: Math.min(selected, cap) * spec.repetitions };
    },

    async readExamples(input: ReadInput): Promise<{ examples: Example[]; nextCursor: string | null }> {
      return whileHeartbeating(() => readPage(input));
    },

    async recordRuns({ experimentId, runs }: { experimentId: string; runs: RunRecord[] }): Promise<AppendResult> {
      return whileHeartbeating(() => deps.sink.append(experimentId, runs));
    },

    async finalizeExperiment({ experimentId, status }: { experimentId: string; status: ExperimentSummary['status'] }): Promise<ExperimentSummary> {
      return whileHeartbeating(() => deps.sink.summarize(experimentId, status, new Date().toISOString()));
    },
  };

  async function readPage({ dataset, cursor, limit, sample }: ReadInput): Promise<{ examples: Example[]; nextCursor: string | null }> {
    const reader = await invalidDatasetIsFatal(async () => open(dataset));
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

/** A missing or unreadable dataset file will not fix itself: fail the experiment with the reason. */
async function invalidDatasetIsFatal<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw ApplicationFailure.nonRetryable(`dataset: ${message}`, 'InvalidDataset');
  }
}

/** Heartbeats every second while `fn` runs, so the workflow's short heartbeat timeout spots a dead worker. */
async function whileHeartbeating<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), 1_000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
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
