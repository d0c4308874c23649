/**
 * One experiment's runs from the results store the CLI reads (DXP_RESULTS_URL, else the local
 * folder), by name, for the commands that need every run at once (`dxp compare`, `dxp report`).
 * An experiment the store does not have is bad input (exit 2), as an unknown name is for `dxp result`.
 */
import type { ExperimentMeta, ResultsStore } from '../activities/sinks/results-sink';
import type { RunRecord } from '../core/records';
import { CliError, EXIT } from './exit-codes';

export interface StoredExperiment {
  meta: ExperimentMeta;
  runs: RunRecord[];
}

export async function readStoredExperiment(store: ResultsStore, where: string, name: string): Promise<StoredExperiment> {
  const meta = await store.readMeta(name).catch(() => undefined);
  if (meta === undefined) throw new CliError(`no experiment '${name}' in the results store ${where} (set DXP_RESULTS_URL or --data-dir to the store its workers used; a Phoenix experiment goes by its id, with PHOENIX_BASE_URL)`, EXIT.badInput);
  const runs: RunRecord[] = [];
  for await (const run of store.readRuns(name)) runs.push(run);
  return { meta, runs };
}
