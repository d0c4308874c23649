/**
 * Results sink on the local file system:
 *   <root>/experiments/<experimentId>/experiment.json  meta, written once
 *   <root>/experiments/<experimentId>/runs.jsonl       one RunRecord per line, append-only
 *   <root>/experiments/<experimentId>/summary.json     rewritten by each summarize
 * Appends must survive SIGKILL at any point and retries of any batch, so they repair a torn
 * tail, skip stored run keys, and fsync before reporting success. Reading and scanning runs.jsonl
 * is in local-store-runs.ts; atomic, fsynced file writes in local-store-files.ts.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { once } from 'node:events';
import { runKey, type ExperimentSummary, type RunRecord } from '../../core/records';
import { localStoreId } from './local-store-id';
import { exists, isCode, syncDir, writeAtomic } from './local-store-files';
import { corruptLine, parseRun, scanRuns } from './local-store-runs';
import type { AppendResult, ExperimentMeta, ResultsStore } from './results-sink';
import { createSummaryBuilder } from './summary';

const META_FILE = 'experiment.json';
const RUNS_FILE = 'runs.jsonl';
const SUMMARY_FILE = 'summary.json';

/** It becomes a folder name: a safe alphabet, no leading dot or dash ('..' included), within NAME_MAX. */
const EXPERIMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export function assertExperimentId(experimentId: string): void {
  if (typeof experimentId !== 'string' || !EXPERIMENT_ID.test(experimentId)) {
    throw new Error(
      `Invalid experiment id ${JSON.stringify(experimentId)}: it becomes a folder name, so use 1-255 letters, ` +
        `digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
}

/** Stored keys of one experiment, valid while runs.jsonl still has `size` bytes. */
interface KeyCache {
  keys: Set<string>;
  size: number;
}

export type LocalStore = ResultsStore;

export function createLocalStore(rootDir: string): LocalStore {
  const root = path.resolve(rootDir, 'experiments');
  // Per instance, like a process: a second instance must notice the first one's writes by size.
  const caches = new Map<string, KeyCache>();
  const chains = new Map<string, Promise<unknown>>();
  let identity: string | undefined;

  function dirOf(experimentId: string): string {
    assertExperimentId(experimentId);
    return path.join(root, experimentId);
  }

  /** Runs `job` after every earlier job of the same experiment, so appends never interleave. */
  function serialized<T>(experimentId: string, job: () => Promise<T>): Promise<T> {
    const previous = chains.get(experimentId) ?? Promise.resolve();
    const result = previous.then(job, job);
    const settled = result.catch(() => undefined);
    chains.set(experimentId, settled);
    void settled.then(() => {
      if (chains.get(experimentId) === settled) chains.delete(experimentId);
    });
    return result;
  }

  async function append(experimentId: string, runs: RunRecord[]): Promise<AppendResult> {
    const file = path.join(dirOf(experimentId), RUNS_FILE);
    const handle = await openExisting(file, 'a+', experimentId);
    try {
      const { size } = await handle.stat();
      let cache = caches.get(experimentId);
      if (!cache || cache.size !== size) {
        // First append here, or someone else wrote (or a write of ours failed half-way).
        const scan = await scanRuns(file, size);
        if (scan.validEnd < size) await handle.truncate(scan.validEnd);
        cache = { keys: scan.keys, size: scan.validEnd };
        caches.set(experimentId, cache);
      }
      const fresh = new Set<string>();
      let text = '';
      for (const run of runs) {
        const key = runKey(run);
        if (cache.keys.has(key) || fresh.has(key)) continue;
        fresh.add(key);
        text += JSON.stringify(run) + '\n';
      }
      if (text !== '' || cache.size !== size) {
        const bytes = Buffer.from(text, 'utf8');
        if (bytes.length > 0) await handle.appendFile(bytes);
        await handle.sync();
        cache.size += bytes.length;
      }
      for (const key of fresh) cache.keys.add(key);
      return { added: fresh.size, skipped: runs.length - fresh.size, total: cache.keys.size };
    } catch (err) {
      // The file may hold part of this batch: make the next append rebuild from disk.
      caches.delete(experimentId);
      throw err;
    } finally {
      await handle.close();
    }
  }

  async function readMeta(experimentId: string): Promise<ExperimentMeta> {
    const file = path.join(dirOf(experimentId), META_FILE);
    try {
      return JSON.parse(await fs.readFile(file, 'utf8')) as ExperimentMeta;
    } catch (err) {
      if (isCode(err, 'ENOENT')) throw notOpen(experimentId);
      throw err;
    }
  }

  async function* readRuns(experimentId: string): AsyncGenerator<RunRecord> {
    const file = path.join(dirOf(experimentId), RUNS_FILE);
    const handle = await openExisting(file, 'r', experimentId);
    const input = handle.createReadStream(); // closes the handle when done or destroyed
    const lines = readline.createInterface({ input, crlfDelay: Infinity });
    try {
      let lineNo = 0;
      let unparsed: number | null = null;
      for await (const line of lines) {
        lineNo++;
        // An unparseable line is only tolerated last: that is a torn append.
        if (unparsed !== null) throw corruptLine(file, unparsed);
        if (line.trim() === '') continue;
        const run = parseRun(line);
        if (run) yield run;
        else unparsed = lineNo;
      }
    } finally {
      // Also reached when the caller stops iterating early.
      lines.close();
      if (!input.closed) {
        const closed = once(input, 'close');
        input.destroy();
        await closed;
      }
    }
  }

  return {
    async open(meta) {
      const dir = dirOf(meta.experimentId);
      await fs.mkdir(dir, { recursive: true });
      const metaFile = path.join(dir, META_FILE);
      if (!(await exists(metaFile))) await writeAtomic(metaFile, JSON.stringify(meta, null, 2) + '\n', 'create');
      // Created here so that append and readRuns can tell "no runs yet" from "never opened".
      await (await fs.open(path.join(dir, RUNS_FILE), 'a')).close();
      await syncDir(dir);
    },

    async append(experimentId, runs) {
      dirOf(experimentId); // reject a bad id before queueing behind other work
      return serialized(experimentId, () => append(experimentId, runs));
    },

    async summarize(experimentId, status, finishedAt) {
      const dir = dirOf(experimentId);
      return serialized(experimentId, async (): Promise<ExperimentSummary> => {
        const meta = await readMeta(experimentId);
        const builder = createSummaryBuilder();
        for await (const run of readRuns(experimentId)) builder.add(run);
        const summary = builder.finish({
          experimentId,
          name: meta.name,
          status,
          location: dir,
          startedAt: meta.startedAt,
          finishedAt,
        });
        await writeAtomic(path.join(dir, SUMMARY_FILE), JSON.stringify(summary, null, 2) + '\n', 'replace');
        return summary;
      });
    },

    readRuns,
    readMeta,
    // Read (or made) on first use: only workers need it, and readers never write to the folder.
    get identity() {
      return (identity ??= `local:${localStoreId(root)}`);
    },
    locationOf: dirOf,
    close: async () => undefined,
  };
}

async function openExisting(file: string, flags: string, experimentId: string): Promise<fs.FileHandle> {
  try {
    // 'a+' would create runs.jsonl, but not its folder: ENOENT still means "never opened".
    return await fs.open(file, flags);
  } catch (err) {
    if (isCode(err, 'ENOENT')) throw notOpen(experimentId);
    throw err;
  }
}

function notOpen(experimentId: string): Error {
  return new Error(`Experiment ${JSON.stringify(experimentId)} is not open in this results store: call open() first`);
}
