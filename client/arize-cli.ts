/** Arize checks and uploads that the CLI runs itself, with ARIZE_* from its own environment. */
import { ArizeApiError, arizeConfigFromEnv, ArizeConfigError, createArizeClient, type ArizeHttpClient } from '../activities/arize';
import { OWNER_COLUMN } from '../activities/arize/runs';
import type { ArizeDatasetSpec } from '../core/spec';
import { CliError, EXIT } from './cli-context';

export function arizeClientFromEnv(): ArizeHttpClient {
  try {
    const config = arizeConfigFromEnv();
    return createArizeClient({ baseUrl: config.baseUrl, apiKey: config.apiKey });
  } catch (err) {
    if (err instanceof ArizeConfigError) throw new CliError(err.message, EXIT.badInput);
    throw err;
  }
}

/**
 * Before starting: the Arize dataset must resolve, and an experiment of this name on it must not
 * exist unless this pipeline made it (Arize names are unique per dataset).
 */
export async function checkArizeTarget(client: ArizeHttpClient, dataset: ArizeDatasetSpec, experimentName: string, ownerWorkflowId: string): Promise<{ datasetId: string }> {
  const space = dataset.arize.space ?? process.env.ARIZE_SPACE;
  let resolved;
  try {
    resolved = await client.resolveDataset({ dataset: dataset.arize.dataset, ...(space ? { space } : {}) });
  } catch (err) {
    // No answer at all: the same one line and exit code as every other command that cannot reach Arize.
    if (err instanceof ArizeApiError && err.status === 0) throw err;
    throw new CliError(`dataset.arize: ${(err as Error).message}`, EXIT.badInput);
  }
  const existing = await client.findExperiment(resolved.id, experimentName);
  if (existing) {
    const first = await client.listRuns(existing.id, { limit: 1 });
    if (first.items[0]?.[OWNER_COLUMN] !== ownerWorkflowId) {
      throw new CliError(`name: an Arize experiment named '${experimentName}' already exists on dataset '${resolved.name}' and was not made by this pipeline; choose another name`, EXIT.badInput);
    }
  }
  return { datasetId: resolved.id };
}
