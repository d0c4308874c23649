/**
 * Before `dxp run` starts anything: a local dataset must be readable to its end and its example
 * ids unique, so a wrong path or a repeated id never burns the experiment's name. (Arize datasets
 * are resolved by checkArizeTarget; a repeat found while reading one fails that row alone.)
 */
import { openLocalDataset } from '../activities/datasets';
import type { LocalDatasetSpec } from '../core/spec';
import { CliError, EXIT } from './cli-context';

/** Ids listed in the error before "and N more". */
const MAX_LISTED = 10;

export interface DatasetCheck {
  rows: number;
  malformed: number;
}

export async function checkLocalDataset(dataset: LocalDatasetSpec): Promise<DatasetCheck> {
  const rowsById = new Map<string, number[]>();
  let rows = 0;
  let malformed = 0;
  try {
    for await (const example of openLocalDataset(dataset).scan()) {
      rows++;
      if (example.malformed) malformed++;
      const seen = rowsById.get(example.id);
      if (seen) seen.push(example.index + 1);
      else rowsById.set(example.id, [example.index + 1]);
    }
  } catch (err) {
    throw new CliError(`dataset.path: ${(err as Error).message}`, EXIT.badInput);
  }
  const repeated = [...rowsById].filter(([, at]) => at.length > 1);
  if (repeated.length > 0) {
    const listed = repeated.slice(0, MAX_LISTED).map(([id, at]) => `'${id}' (rows ${at.join(', ')})`);
    const more = repeated.length > MAX_LISTED ? `, and ${repeated.length - MAX_LISTED} more` : '';
    throw new CliError(
      `dataset.path: example ids must be unique, and ${repeated.length} repeat in ${dataset.path}: ${listed.join(', ')}${more}. ` +
        'Rows are counted from 1; a malformed row gets the id row-<n>. Fix the ids or set dataset.idColumn.',
      EXIT.badInput,
    );
  }
  return { rows, malformed };
}
