/** Activities of `dxp log`: check the table and the target, then read the table page by page as runs. */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { LogInput, LogSource, ResultsMapping } from '../core/log-contract';
import type { RunRecord } from '../core/records';
import type { LocalDatasetSpec } from '../core/spec';
import type { DatasetSources } from './datasets';
import { mappedColumns, rowToRun } from './results-table';
import { FAILURE_TYPES } from '../core/failure-types';

/** Runs go through history twice (this result, the upload's input): keep a page well under 2 MB. */
const MAX_PAGE_BYTES = 1024 * 1024;
/** Dataset versions whose id sets (and match indexes) a worker process keeps; the oldest goes first. */
const MAX_CACHED_VERSIONS = 8;

export interface ResultsPage {
  runs: RunRecord[];
  rows: number;
  rejected: string[];
  nextCursor: string | null;
}

export function createLogActivities(deps: { datasets: DatasetSources }) {
  // dataset + version + column → (value → example id); undefined id marks a value found twice.
  const matchIndexes = cache<Map<string, string | undefined>>();
  // dataset + version → the ids of its examples, to reject a row naming no example of the dataset
  // before upload (Arize refuses the whole request, 422, for one unknown example_id). Built here,
  // inside the activity that reads the table page, and kept per worker process: a version never
  // changes, so the set is read once (500 per request) and shared by every page and every log of
  // that version on this worker. It never goes into workflow history, which only sees each page's
  // runs and rejection reasons: a dataset of 100k examples costs this worker a few MB, not the
  // workflow 100k ids. A worker that has not seen the version (a retry elsewhere, a restart) reads
  // it again; the same pinned version gives the same answer, so a retried page is the same page.
  const exampleIdSets = cache<Set<string>>();

  const matchIndex = (source: LogSource, datasetColumn: string) =>
    matchIndexes.get(`${source.datasetId}:${source.versionId}:${datasetColumn}`, async () => {
      const byValue = new Map<string, string | undefined>();
      for await (const example of deps.datasets.open(source).scan()) {
        const value = example.row[datasetColumn];
        if (value === undefined || value === null) continue;
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        byValue.set(text, byValue.has(text) ? undefined : example.id);
      }
      return byValue;
    });

  const exampleIds = (source: LogSource) =>
    exampleIdSets.get(`${source.datasetId}:${source.versionId}`, async () => {
      const ids = new Set<string>();
      // The example's own `id` (the system field Arize checks runs against), not a bound id.
      for await (const example of deps.datasets.open(source).scan()) {
        const id = example.row.id;
        if (typeof id === 'string' || typeof id === 'number') ids.add(String(id));
      }
      return ids;
    });

  return {
    async prepareLog({ dataset, file, mapping }: Pick<LogInput, 'dataset' | 'file' | 'mapping'>): Promise<{ source: LogSource }> {
      const source = await fatal(() => deps.datasets.resolve(dataset, Context.current().cancellationSignal));
      if (source.kind === 'local') throw ApplicationFailure.nonRetryable('dxp log needs an Arize or Phoenix dataset', FAILURE_TYPES.invalidLog);
      const first = await fatal(() => deps.datasets.open({ kind: 'local', spec: file }).readPage(null, 1));
      const row = first.examples[0]?.row;
      if (!row) throw ApplicationFailure.nonRetryable(`the results table ${file.path} has no readable rows`, FAILURE_TYPES.invalidLog);
      const missing = mappedColumns(mapping).filter((c) => !(c in row));
      if (missing.length) {
        throw ApplicationFailure.nonRetryable(`the results table has no column(s) ${missing.join(', ')}; it has: ${Object.keys(row).join(', ')}`, FAILURE_TYPES.invalidLog);
      }
      return { source };
    },

    async readResultsPage(input: { file: LocalDatasetSpec; cursor: string | null; limit: number; mapping: ResultsMapping; source: LogSource; ownerWorkflowId: string }): Promise<ResultsPage> {
      const { mapping } = input;
      const index = mapping.match ? await matchIndex(input.source, mapping.match.datasetColumn) : undefined;
      // Matched ids come from the dataset itself; given ids are checked against it.
      const known = mapping.match ? undefined : await exampleIds(input.source);
      const reader = deps.datasets.open({ kind: 'local', spec: input.file });
      for (let size = input.limit; ; size = Math.max(1, Math.floor(size / 2))) {
        const page = await reader.readPage(input.cursor, size);
        const runs: RunRecord[] = [];
        const rejected: string[] = [];
        for (const example of page.examples) {
          const rowNumber = example.index + 1;
          if (example.malformed) {
            rejected.push(example.malformed);
            continue;
          }
          const exampleId = exampleIdOf(example.row, mapping, index);
          if (!exampleId && mapping.match) {
            const value = JSON.stringify(example.row[mapping.match.fileColumn] ?? null);
            rejected.push(`row ${rowNumber}: no single dataset example has ${mapping.match.datasetColumn} = ${value}`);
            continue;
          }
          if (exampleId && known && !known.has(exampleId)) {
            const service = input.source.kind === 'phoenix' ? 'Phoenix' : 'Arize';
            rejected.push(`row ${rowNumber}: unknown example_id ${exampleId} (no such example in ${service} dataset ${input.source.datasetName})`);
            continue;
          }
          const outcome = rowToRun(example.row, rowNumber, exampleId, mapping, input.ownerWorkflowId);
          if ('run' in outcome) runs.push(outcome.run);
          else rejected.push(outcome.rejected);
        }
        if (Buffer.byteLength(JSON.stringify(runs)) <= MAX_PAGE_BYTES || size === 1) {
          return { runs, rows: page.examples.length, rejected, nextCursor: page.nextCursor };
        }
      }
    },
  };
}

export type LogActivities = ReturnType<typeof createLogActivities>;

function exampleIdOf(row: Record<string, unknown>, mapping: ResultsMapping, index: Map<string, string | undefined> | undefined): string | undefined {
  if (mapping.match && index) {
    const value = row[mapping.match.fileColumn];
    if (value === undefined || value === null) return undefined;
    return index.get(typeof value === 'string' ? value : JSON.stringify(value));
  }
  const id = row[mapping.exampleIdColumn ?? 'example_id'];
  return id === undefined || id === null || id === '' ? undefined : String(id);
}

/**
 * Per-process cache of values built once per key (concurrent callers share the build, a failed
 * build is forgotten so the next attempt retries it), at most MAX_CACHED_VERSIONS keys.
 */
function cache<T>() {
  const entries = new Map<string, Promise<T>>();
  return {
    get(key: string, build: () => Promise<T>): Promise<T> {
      let value = entries.get(key);
      if (value) {
        entries.delete(key);
        entries.set(key, value);
        return value;
      }
      value = build();
      value.catch(() => {
        if (entries.get(key) === value) entries.delete(key);
      });
      entries.set(key, value);
      for (const oldest of entries.keys()) {
        if (entries.size <= MAX_CACHED_VERSIONS) break;
        entries.delete(oldest);
      }
      return value;
    },
  };
}

/** Bad input (no such dataset, unreadable file) fails the log at once; transient errors retry. */
async function fatal<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { retryable?: unknown }).retryable === true) throw err;
    throw ApplicationFailure.nonRetryable(err instanceof Error ? err.message : String(err), FAILURE_TYPES.invalidLog);
  }
}
