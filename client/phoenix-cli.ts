/** The Phoenix check `dxp run` makes itself, with PHOENIX_* from its own environment. */
import { createPhoenixClient, PhoenixApiError, phoenixConfigFromEnv, PhoenixConfigError } from '../activities/phoenix';
import { createDatasetSources } from '../activities/datasets';
import type { PhoenixDatasetSpec } from '../core/spec';
import { CliError, EXIT } from './cli-context';

/**
 * Before starting: the Phoenix dataset (and the version, when given) must resolve. Without
 * PHOENIX_BASE_URL here the CLI cannot look, and the worker resolves it (failing the experiment).
 */
export async function checkPhoenixDataset(dataset: PhoenixDatasetSpec, env: NodeJS.ProcessEnv = process.env): Promise<{ datasetId: string; versionId: string } | undefined> {
  let config;
  try {
    config = phoenixConfigFromEnv(env);
  } catch (err) {
    if (err instanceof PhoenixConfigError) throw new CliError(err.message, EXIT.badInput);
    throw err;
  }
  if (!config) return undefined;
  const client = createPhoenixClient(config);
  try {
    const source = await createDatasetSources({ phoenix: () => client }).resolve(dataset);
    return source.kind === 'phoenix' ? { datasetId: source.datasetId, versionId: source.versionId } : undefined;
  } catch (err) {
    // No answer at all: the same one line and exit code as every other command that cannot reach a service.
    if (err instanceof PhoenixApiError && err.status === 0) throw err;
    throw new CliError(`dataset.phoenix: ${(err as Error).message}`, EXIT.badInput);
  } finally {
    await client.close();
  }
}
