/**
 * `dxp upload` for an experiment over a Phoenix dataset: the stored runs go to its Phoenix
 * experiment (adopted by its metadata, else made on the version pinned by the spec, else the
 * newest), in batches; safe to run again, since Phoenix keeps one run per (example, repetition).
 */
import { forEachBatch } from './batches';
import { createPhoenixClient, findOurs, phoenixConfigFromEnv, uploadPhoenixRuns, type PhoenixHttpClient } from '../activities/phoenix';
import { createDatasetSources } from '../activities/datasets';
import type { ResultsStore } from '../activities/sinks';
import type { ExperimentSpec, PhoenixDatasetSpec } from '../core/spec';
import { CliError, EXIT } from './cli-context';

const BATCH = 500;

export async function uploadToPhoenix(store: ResultsStore, spec: ExperimentSpec & { dataset: PhoenixDatasetSpec }, owner: string): Promise<number> {
  const config = phoenixConfigFromEnv();
  if (!config) throw new CliError(`experiment '${spec.name}' ran on a Phoenix dataset: set PHOENIX_BASE_URL to send its runs there`, EXIT.badInput);
  const client: PhoenixHttpClient = createPhoenixClient(config);
  try {
    const source = await createDatasetSources({ phoenix: () => client }).resolve(spec.dataset).catch((err: unknown) => {
      if ((err as { status?: number }).status === 0) throw err;
      throw new CliError(`dataset.phoenix: ${(err as Error).message}`, EXIT.badInput);
    });
    if (source.kind !== 'phoenix') throw new Error('unreachable: a Phoenix spec resolved to another source');
    const existing = await findOurs(client, { datasetId: source.datasetId, experimentName: spec.name, ownerWorkflowId: owner });
    let experimentId = existing?.id;
    const versionId = existing?.dataset_version_id ?? source.versionId;
    let appended = 0;
    let alreadyStored = 0;
    await forEachBatch(store.readRuns(spec.name), BATCH, async (runs) => {
      const input = { experimentName: spec.name, datasetId: source.datasetId, versionId, repetitions: spec.repetitions, ownerWorkflowId: owner, runs };
      const result = await uploadPhoenixRuns(client, { ...input, ...(experimentId ? { phoenixExperimentId: experimentId } : {}) });
      experimentId = result.phoenixExperimentId;
      appended += result.appended;
      alreadyStored += result.alreadyStored;
    });
    process.stdout.write(`Phoenix experiment ${experimentId ?? '(none: no runs stored)'}: ${appended} runs sent, ${alreadyStored} already there.\n`);
    return EXIT.ok;
  } finally {
    await client.close();
  }
}
