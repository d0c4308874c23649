/**
 * Dataset sources: resolves what a spec names (a local file, an Arize dataset by name) into a
 * fixed source once per experiment, and opens a reader on it for each page.
 */
import { isArizeDataset, isPhoenixDataset, type DatasetSpec, type PhoenixDatasetSpec } from '../../core/spec';
import type { ResolvedDataset } from '../../core/records';
import type { ArizeClient } from '../arize/types';
import type { PhoenixClient } from '../phoenix/types';
import { openArizeDataset } from './arize-dataset';
import { openPhoenixDataset } from './phoenix-dataset';
import { openLocalDataset } from './local-file';
import type { DatasetReader } from './reader';

export interface DatasetSourceDeps {
  /** Relative paths resolve against this folder. */
  baseDir?: string;
  /** The Arize client, created on first use (it needs ARIZE_API_KEY in the worker's environment). */
  arize?: () => ArizeClient;
  /** ARIZE_SPACE: the space of dataset names given without one. */
  defaultSpace?: string;
  /** The Phoenix client (PHOENIX_BASE_URL in the worker's environment). */
  phoenix?: () => PhoenixClient;
}

export interface DatasetSources {
  resolve(spec: DatasetSpec, signal?: AbortSignal): Promise<ResolvedDataset>;
  open(source: ResolvedDataset, signal?: AbortSignal): DatasetReader;
}

export class DatasetConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetConfigError';
  }
}

export function createDatasetSources(deps: DatasetSourceDeps): DatasetSources {
  const arize = (): ArizeClient => {
    if (!deps.arize) throw new DatasetConfigError('an Arize dataset needs ARIZE_API_KEY in the worker environment');
    return deps.arize();
  };
  const phoenix = (): PhoenixClient => {
    if (!deps.phoenix) throw new DatasetConfigError('a Phoenix dataset needs PHOENIX_BASE_URL in the worker environment');
    return deps.phoenix();
  };
  return {
    async resolve(spec, signal) {
      if (isPhoenixDataset(spec)) return resolvePhoenix(phoenix(), spec, signal);
      if (!isArizeDataset(spec)) return { kind: 'local', spec };
      const { arize: ref, ...binding } = spec;
      const space = ref.space ?? deps.defaultSpace;
      const dataset = await arize().resolveDataset({ dataset: ref.dataset, ...(space ? { space } : {}) }, { signal });
      const versionId = ref.version ?? dataset.versions[0]?.id;
      if (!versionId) throw new DatasetConfigError(`Arize dataset '${dataset.name}' has no versions`);
      if (ref.version && !dataset.versions.some((v) => v.id === ref.version)) {
        throw new DatasetConfigError(`Arize dataset '${dataset.name}' has no version '${ref.version}'`);
      }
      return { kind: 'arize', datasetId: dataset.id, datasetName: dataset.name, spaceId: dataset.space_id, versionId, binding };
    },
    open(source, signal) {
      if (source.kind === 'phoenix') return openPhoenixDataset(phoenix(), source, signal);
      return source.kind === 'local' ? openLocalDataset(source.spec, deps.baseDir) : openArizeDataset(arize(), source, signal);
    },
  };
}

/** The dataset by name or id, pinned to the version given or else the newest. */
async function resolvePhoenix(client: PhoenixClient, spec: PhoenixDatasetSpec, signal?: AbortSignal): Promise<ResolvedDataset> {
  const { phoenix: ref, ...binding } = spec;
  const opts = signal ? { signal } : {};
  const dataset = await client.resolveDataset(ref.dataset, opts);
  const versions = await client.listVersions(dataset.id, opts);
  const versionId = ref.version ?? versions[0];
  if (!versionId) throw new DatasetConfigError(`Phoenix dataset '${dataset.name}' has no versions`);
  if (ref.version && !versions.includes(ref.version)) throw new DatasetConfigError(`Phoenix dataset '${dataset.name}' has no version '${ref.version}'`);
  return { kind: 'phoenix', datasetId: dataset.id, datasetName: dataset.name, versionId, binding };
}
