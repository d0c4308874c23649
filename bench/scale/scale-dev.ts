/** The dev server as a scale target: `temporal server start-dev` on a SQLite file (WAL), results in local files. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer } from '../../client/dev-server';
import type { ScaleTarget } from './scale-target';
import { treeCpuSeconds } from './scale-proc';

const fileBytes = (path: string): number => (existsSync(path) ? statSync(path).size : 0);

/** Bytes of every file under `dir`. */
function dirBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(path) : fileBytes(path);
  }
  return total;
}

export async function startDevTarget(dir: string): Promise<ScaleTarget> {
  const dbFile = join(dir, 'temporal.db');
  const dataDir = join(dir, 'store');
  const server = await startDevServer({ headless: true, dbFile });
  const pid = server.process?.pid;
  if (pid === undefined) throw new Error('the dev server has no process to measure');
  return {
    kind: 'dev',
    describe: `dev server (temporal CLI, SQLite file with WAL) pid ${pid}`,
    address: server.address,
    namespace: server.namespace,
    workerEnv: {},
    dataDir,
    // SQLite runs inside the server process: its CPU is the server's.
    cpuSeconds: () => ({ server: treeCpuSeconds(pid), database: null }),
    // The WAL is where recent writes sit until a checkpoint, so it is part of what the run stored.
    storedBytes: () => ({ temporal: fileBytes(dbFile) + fileBytes(`${dbFile}-wal`), results: dirBytes(dataDir) }),
    stop: () => server.stop(),
  };
}
