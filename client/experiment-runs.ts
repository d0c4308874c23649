/**
 * The experiments `dxp compare` and `dxp report` read, each by the name the results store knows it
 * by, or, when the store has no such name, by a Phoenix experiment id (with PHOENIX_BASE_URL).
 */
import { isPhoenixId, phoenixConfigFromEnv } from '../activities/phoenix';
import type { RunRecord } from '../core/records';
import { CliError, EXIT } from './exit-codes';
import { readPhoenixExperiment } from './phoenix-experiment';
import { configuredStore, withStore } from './results-store';
import { readStoredExperiment } from './stored-experiment';

export interface ExperimentRunsRead {
  /** What the output calls it: the name, or a Phoenix experiment's `name (id)`. */
  name: string;
  runs: RunRecord[];
}

export async function readExperiments(refs: string[], dataDir: string | undefined): Promise<ExperimentRunsRead[]> {
  const phoenix = phoenixSettings();
  return withStore(configuredStore(dataDir), async (store, where) => {
    const read: ExperimentRunsRead[] = [];
    for (const ref of refs) {
      const inStore = await store.readMeta(ref).then(
        () => true,
        () => false,
      );
      if (!inStore && phoenix && isPhoenixId(ref, 'Experiment')) {
        const found = await readPhoenixExperiment(phoenix, ref);
        read.push({ name: `${found.name} (${ref})`, runs: found.runs });
      } else {
        read.push({ name: ref, runs: (await readStoredExperiment(store, where, ref)).runs });
      }
    }
    return read;
  });
}

function phoenixSettings(): ReturnType<typeof phoenixConfigFromEnv> {
  try {
    return phoenixConfigFromEnv();
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.badInput);
  }
}
