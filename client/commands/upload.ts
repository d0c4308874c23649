/**
 * `dxp upload <name>`: sends an experiment's runs from the results store to its Arize (or Phoenix)
 * experiment, e.g. after Arize was down or rejected them. Safe to run again: runs already in Arize are
 * skipped, and an existing experiment is adopted only if this pipeline made it.
 */
import { forEachBatch } from '../batches';
import { uploadRuns } from '../../activities/arize/upload';
import type { ResultsStore } from '../../activities/sinks';
import { experimentWorkflowId } from '../../workflows/experiment-contract';
import { isArizeDataset, isPhoenixDataset, type ExperimentSpec } from '../../core/spec';
import { arizeClientFromEnv, checkArizeTarget } from '../arize-cli';
import { CliError, EXIT } from '../cli-context';
import { uploadToPhoenix } from '../phoenix-upload';
import { configuredStore, withStore } from '../results-store';

const BATCH = 1000;

export async function uploadCommand(name: string, opts: { dataDir?: string }): Promise<number> {
  return withStore(configuredStore(opts.dataDir), (store, where) => upload(store, where, name));
}

async function upload(store: ResultsStore, where: string, name: string): Promise<number> {
  const meta = await store.readMeta(name).catch((err: Error) => {
    throw new CliError(`no stored experiment '${name}' in ${where} (DXP_RESULTS_URL, or --data-dir / DXP_DATA_DIR): ${err.message}`, EXIT.badInput);
  });
  if (!meta.spec) {
    throw new CliError(`${where} holds only the runs a worker recorded for '${name}', not the experiment's spec: run \`dxp upload\` with the data folder of the worker that prepared it`, EXIT.badInput);
  }
  const spec = meta.spec as ExperimentSpec;
  if (isPhoenixDataset(spec.dataset)) return uploadToPhoenix(store, { ...spec, dataset: spec.dataset }, experimentWorkflowId(name));
  if (!isArizeDataset(spec.dataset)) throw new CliError(`experiment '${name}' ran on a local dataset: there is no Arize experiment to upload to`, EXIT.badInput);
  const owner = experimentWorkflowId(name);
  const client = arizeClientFromEnv();
  try {
    const { datasetId } = await checkArizeTarget(client, spec.dataset, name, owner);
    let experimentId: string | undefined;
    let appended = 0;
    let alreadyStored = 0;
    await forEachBatch(store.readRuns(name), BATCH, async (runs) => {
      const result = await uploadRuns(client, { experimentName: name, datasetId, ownerWorkflowId: owner, ...(experimentId ? { arizeExperimentId: experimentId } : {}), runs, reconcile: true });
      experimentId = result.arizeExperimentId;
      appended += result.appended;
      alreadyStored += result.alreadyStored;
    });
    process.stdout.write(`Arize experiment ${experimentId ?? '(none: no runs stored)'}: ${appended} runs appended, ${alreadyStored} already there.\n`);
    return EXIT.ok;
  } finally {
    await client.close();
  }
}
