/** Activities of `dxp log`: check the table and the target, then read the table page by page as runs. */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { LogInput, ResultsMapping } from '../workflows/log-contract';
import type { ResolvedDataset, RunRecord } from '../workflows/records';
import type { LocalDatasetSpec } from '../workflows/spec';
import type { DatasetSources } from './datasets';
import { mappedColumns, rowToRun } from './results-table';

type ArizeSource = Extract<ResolvedDataset, { kind: 'arize' }>;

/** Runs go through history twice (this result, the upload's input): keep a page well under 2 MB. */
const MAX_PAGE_BYTES = 1024 * 1024;

export interface ResultsPage {
  runs: RunRecord[];
  rows: number;
  rejected: string[];
  nextCursor: string | null;
}

export function createLogActivities(deps: { datasets: DatasetSources }) {
  // dataset + version + column → (value → example id); undefined id marks a value found twice.
  const matchIndexes = new Map<string, Promise<Map<string, string | undefined>>>();

  const matchIndex = (source: ArizeSource, datasetColumn: string) => {
    const key = `${source.datasetId}:${source.versionId}:${datasetColumn}`;
    let index = matchIndexes.get(key);
    if (!index) {
      index = (async () => {
        const byValue = new Map<string, string | undefined>();
        for await (const example of deps.datasets.open(source).scan()) {
          const value = example.row[datasetColumn];
          if (value === undefined || value === null) continue;
          const text = typeof value === 'string' ? value : JSON.stringify(value);
          byValue.set(text, byValue.has(text) ? undefined : example.id);
        }
        return byValue;
      })();
      index.catch(() => matchIndexes.delete(key));
      matchIndexes.set(key, index);
    }
    return index;
  };

  return {
    async prepareLog({ dataset, file, mapping }: Pick<LogInput, 'dataset' | 'file' | 'mapping'>): Promise<{ source: ArizeSource }> {
      const source = await fatal(() => deps.datasets.resolve(dataset, Context.current().cancellationSignal));
      if (source.kind !== 'arize') throw ApplicationFailure.nonRetryable('dxp log needs an Arize dataset', 'InvalidLog');
      const first = await fatal(() => deps.datasets.open({ kind: 'local', spec: file }).readPage(null, 1));
      const row = first.examples[0]?.row;
      if (!row) throw ApplicationFailure.nonRetryable(`the results table ${file.path} has no readable rows`, 'InvalidLog');
      const missing = mappedColumns(mapping).filter((c) => !(c in row));
      if (missing.length) {
        throw ApplicationFailure.nonRetryable(`the results table has no column(s) ${missing.join(', ')}; it has: ${Object.keys(row).join(', ')}`, 'InvalidLog');
      }
      return { source };
    },

    async readResultsPage(input: { file: LocalDatasetSpec; cursor: string | null; limit: number; mapping: ResultsMapping; source: ArizeSource; ownerWorkflowId: string }): Promise<ResultsPage> {
      const { mapping } = input;
      const index = mapping.match ? await matchIndex(input.source, mapping.match.datasetColumn) : undefined;
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

/** Bad input (no such dataset, unreadable file) fails the log at once; transient errors retry. */
async function fatal<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { retryable?: unknown }).retryable === true) throw err;
    throw ApplicationFailure.nonRetryable(err instanceof Error ? err.message : String(err), 'InvalidLog');
  }
}
