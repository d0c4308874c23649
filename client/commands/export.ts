/**
 * `dxp export <experiment>`: writes every run of an experiment to a JSONL, CSV or Parquet file.
 * An experiment in the results store (DXP_RESULTS_URL, or the local files) is exported from
 * there; otherwise it is an Arize experiment, given by id, or by name together with its dataset
 * (and the dataset's space, from --space or ARIZE_SPACE; --dataset always means Arize), or a
 * Phoenix experiment given by its id (with PHOENIX_BASE_URL). Runs are
 * read page by page and streamed to the writer; see client/export/ for the file formats.
 */
import * as path from 'node:path';
import { ArizeApiError, ARIZE_ERROR_CODES, looksLikeId, MAX_PAGE_LIMIT, type ArizeClient, type ArizeExperiment } from '../../activities/arize';
import { createPhoenixClient, isPhoenixId, phoenixConfigFromEnv } from '../../activities/phoenix';
import { arizeClientFromEnv } from '../arize-cli';
import { phoenixRunRow } from '../export/phoenix-runs';
import { CliError, EXIT } from '../cli-context';
import type { Row, RowWriter } from '../export/files';
import { writeCsv } from '../export/write-csv';
import { writeJsonl } from '../export/write-jsonl';
import { writeParquet } from '../export/write-parquet';
import { storedRunRows } from '../export/stored-runs';
import { configuredStore, withStore } from '../results-store';

export const EXPORT_FORMATS = ['jsonl', 'csv', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  /** jsonl, csv or parquet; default: from the extension of `out`. */
  format?: string;
  /** Output file; default `<experiment name>.<format>` in the current directory. */
  out?: string;
  /** Dataset name or id: required when `experiment` is a name. */
  dataset?: string;
  /** Space name or id of a dataset given by name; default ARIZE_SPACE. */
  space?: string;
  /** The local results store (without DXP_RESULTS_URL); default DXP_DATA_DIR, else .dxp. */
  dataDir?: string;
}

const WRITERS: Record<ExportFormat, RowWriter> = { jsonl: writeJsonl, csv: writeCsv, parquet: writeParquet };

export async function exportCommand(experiment: string, opts: ExportOptions): Promise<number> {
  const format = exportFormat(opts);
  if (opts.dataset === undefined) {
    const stored = await exportStored(experiment, format, opts);
    if (stored !== undefined) return stored;
    if (isPhoenixId(experiment, 'Experiment') && phoenixConfigFromEnv()) return exportPhoenix(experiment, format, opts);
  }
  const client = arizeClientFromEnv();
  try {
    const found = await findExperiment(client, experiment, opts);
    const out = path.resolve(opts.out ?? `${fileName(found.name)}.${format}`);
    const { count } = await WRITERS[format](allRuns(client, found.id), out);
    process.stdout.write(`${out}: ${count} run${count === 1 ? '' : 's'} of Arize experiment '${found.name}' (${found.id})\n`);
    return EXIT.ok;
  } finally {
    await client.close();
  }
}

/** Exports from the results store; undefined when it has no such experiment (then Arize is asked). */
async function exportStored(experiment: string, format: ExportFormat, opts: ExportOptions): Promise<number | undefined> {
  return withStore(configuredStore(opts.dataDir), async (store, where) => {
    const meta = await store.readMeta(experiment).catch(() => undefined);
    if (meta === undefined) {
      if (process.env.ARIZE_API_KEY || (isPhoenixId(experiment, 'Experiment') && phoenixConfigFromEnv())) return undefined;
      throw new CliError(
        `no experiment '${experiment}' in the results store ${where}, and no ARIZE_API_KEY to look for an Arize experiment (or PHOENIX_BASE_URL, for a Phoenix experiment id)`,
        EXIT.badInput,
      );
    }
    const out = path.resolve(opts.out ?? `${fileName(meta.name)}.${format}`);
    const { count } = await WRITERS[format](storedRunRows(store, experiment, meta.workflowId), out);
    process.stdout.write(`${out}: ${count} run${count === 1 ? '' : 's'} of experiment '${meta.name}' from ${where}\n`);
    return EXIT.ok;
  });
}

/** A Phoenix experiment by id: Phoenix gives all its runs, with their evaluations, in one body. */
async function exportPhoenix(experimentId: string, format: ExportFormat, opts: ExportOptions): Promise<number> {
  const client = createPhoenixClient(phoenixConfigFromEnv()!);
  try {
    const found = await client.getExperiment(experimentId).catch((err: unknown) => {
      if ((err as { status?: number }).status === 404) throw new CliError(`no Phoenix experiment with id '${experimentId}'`, EXIT.badInput);
      throw err;
    });
    const runs = await client.exportRuns(experimentId);
    const out = path.resolve(opts.out ?? `${fileName(found.name)}.${format}`);
    const { count } = await WRITERS[format]((async function* () {
      for (const run of runs) yield phoenixRunRow(run);
    })(), out);
    process.stdout.write(`${out}: ${count} run${count === 1 ? '' : 's'} of Phoenix experiment '${found.name}' (${found.id})\n`);
    return EXIT.ok;
  } finally {
    await client.close();
  }
}

function exportFormat(opts: ExportOptions): ExportFormat {
  const given = opts.format ?? (opts.out === undefined ? undefined : path.extname(opts.out).slice(1).toLowerCase());
  if (given === undefined || given === '') throw new CliError(`give --format (${EXPORT_FORMATS.join(', ')})`, EXIT.badInput);
  const format = EXPORT_FORMATS.find((f) => f === given.toLowerCase());
  if (format === undefined) {
    const from = opts.format === undefined ? ` (from the extension of --out ${opts.out ?? ''}; give --format)` : '';
    throw new CliError(`unknown export format '${given}'${from}: use ${EXPORT_FORMATS.join(', ')}`, EXIT.badInput);
  }
  return format;
}

/** By id, else by name on the dataset; a missing experiment or dataset is bad input (exit 2). */
async function findExperiment(client: ArizeClient, experiment: string, opts: ExportOptions): Promise<ArizeExperiment> {
  if (looksLikeId(experiment)) {
    try {
      return await client.getExperiment(experiment);
    } catch (err) {
      if (!(err instanceof ArizeApiError && err.status === 404)) throw err;
      // With --dataset it may still be a name that happens to look like an id.
      if (opts.dataset === undefined) throw new CliError(`no Arize experiment with id '${experiment}'`, EXIT.badInput);
    }
  }
  if (opts.dataset === undefined) {
    throw new CliError(`'${experiment}' is not an Arize experiment id: to find an experiment by name, give its dataset with --dataset <name|id>`, EXIT.badInput);
  }
  const space = opts.space ?? process.env.ARIZE_SPACE;
  let dataset;
  try {
    dataset = await client.resolveDataset({ dataset: opts.dataset, ...(space ? { space } : {}) });
  } catch (err) {
    if (err instanceof TypeError || isNotFound(err)) throw new CliError(`--dataset: ${(err as Error).message}`, EXIT.badInput);
    throw err;
  }
  const found = await client.findExperiment(dataset.id, experiment);
  if (found === undefined) {
    throw new CliError(`no experiment named '${experiment}' on Arize dataset '${dataset.name}' (${dataset.id})`, EXIT.badInput);
  }
  return found;
}

function isNotFound(err: unknown): boolean {
  if (!(err instanceof ArizeApiError)) return false;
  return err.status === 404 || err.errorCode === ARIZE_ERROR_CODES.nameNotFound || err.errorCode === ARIZE_ERROR_CODES.nameAmbiguous;
}

/** Every run, page after page. */
async function* allRuns(client: ArizeClient, experimentId: string): AsyncGenerator<Row> {
  let cursor: string | null = null;
  do {
    const page = await client.listRuns(experimentId, { cursor, limit: MAX_PAGE_LIMIT });
    yield* page.items;
    if (page.nextCursor !== null && page.nextCursor === cursor) throw new Error(`Arize returned the same page cursor twice listing the runs of ${experimentId}`);
    cursor = page.nextCursor;
  } while (cursor !== null);
}

/** An experiment name as a file name: path separators and characters Windows refuses become `_`. */
function fileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = name.replace(/[/\\:*?"<>|\x00-\x1f]/g, '_').replace(/^\.+/, '_');
  return safe === '' ? 'experiment' : safe;
}
