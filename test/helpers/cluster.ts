/**
 * Test harness: a real Temporal cluster on PostgreSQL, started by the developer's own entry point
 * (scripts/cluster.sh) in a temp folder, on free ports. A missing server binary or PostgreSQL
 * fails the test with the install instructions (`npm run setup`); it never skips.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPostgresStore } from '../../activities/sinks/postgres-store';
import type { RunRecord } from '../../core/records';
import { PROJECT_ROOT } from './processes';
import { tempDir } from './temporal';

const CLUSTER_SH = join(PROJECT_ROOT, 'scripts', 'cluster.sh');

export interface TestCluster {
  /** host:port of the frontend. */
  address: string;
  namespace: string;
  pgPort: number;
  /** The PostgreSQL data directory (owned by `postgres` when the tests run as root). */
  pgDataDir: string;
  /** Everything of this cluster: data, configs, logs. Removed by stop(). */
  dir: string;
  /** DXP_RESULTS_URL of its results database (dxp_results). */
  resultsUrl: string;
  /** `psql` against one of its databases: rows of the query's result, `|`-separated. */
  psql(database: 'temporal' | 'temporal_visibility' | 'dxp_results', sql: string): string[];
  /** `pg_dumpall` of every database, as SQL text (bytea columns come out as hex). */
  dumpAll(): Buffer;
  /** Stops the server and PostgreSQL and removes the folder; safe to call twice. */
  stop(): Promise<void>;
  /** SIGTERM (or SIGKILL with `{ kill: true }`) the server, start it again, wait until it serves. */
  restartServer(opts?: { kill?: boolean }): Promise<void>;
  /** `pg_ctl restart -m immediate`: PostgreSQL crashes and recovers. */
  restartPostgres(): Promise<void>;
  /** The server's log so far, for failure messages. */
  serverLog(): string;
}

const live = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort (jest going away without afterAll): never leave a server or PostgreSQL behind.
  process.once('exit', () => {
    for (const dir of live) spawnSync('bash', [CLUSTER_SH, 'down', '--dir', dir], { stdio: 'ignore' });
  });
}

function cluster(args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('bash', [CLUSTER_SH, ...args], { cwd: PROJECT_ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`scripts/cluster.sh ${args.join(' ')} failed (${err.message.split('\n')[0]}):\n${stderr.trim()}`));
      else resolve({ stdout, stderr });
    });
  });
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** `psql` as the clusters' trusted superuser: rows of the query's result, `|`-separated. */
function psql(port: number, database: string, sql: string): string[] {
  const r = spawnSync('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'temporal', '-d', database, '-c', sql], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: 'temporal' },
  });
  if (r.status !== 0) throw new Error(`psql ${database} -c ${sql}: ${r.error?.message ?? r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

export async function startTestCluster(opts: { startTimeoutMs?: number } = {}): Promise<TestCluster> {
  installExitHook();
  const dir = tempDir('dxp-cluster-');
  live.add(dir);
  let up: { stdout: string; stderr: string };
  try {
    up = await cluster(['up', '--dir', dir], opts.startTimeoutMs ?? 150_000);
  } catch (err) {
    await cluster(['down', '--dir', dir], 60_000).catch(() => undefined);
    live.delete(dir);
    throw err;
  }
  const env = parseEnv(up.stdout);
  const address = env.TEMPORAL_ADDRESS;
  const pgPort = Number(env.DXP_CLUSTER_PG_PORT);
  if (!address || !pgPort) throw new Error(`scripts/cluster.sh up printed no TEMPORAL_ADDRESS / DXP_CLUSTER_PG_PORT:\n${up.stdout}\n${up.stderr}`);
  let stopped = false;
  return {
    address,
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    resultsUrl: env.DXP_RESULTS_URL ?? `postgres://temporal:temporal@127.0.0.1:${pgPort}/dxp_results`,
    dumpAll() {
      // The cluster's superuser is `temporal`, trusted on 127.0.0.1 (scripts/cluster.sh).
      const r = spawnSync('pg_dumpall', ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'temporal', '--no-password'], { maxBuffer: 1024 * 1024 * 1024 });
      if (r.status !== 0) throw new Error(`pg_dumpall: ${r.error?.message ?? r.stderr?.toString()}`);
      return r.stdout;
    },
    pgPort,
    pgDataDir: env.DXP_CLUSTER_PG_DATA ?? join(dir, 'pg'),
    dir,
    psql: (database, sql) => psql(pgPort, database, sql),
    async stop() {
      if (stopped) return;
      stopped = true;
      await cluster(['down', '--dir', dir], 60_000);
      live.delete(dir);
    },
    async restartServer(o = {}) {
      await cluster(['restart-server', '--dir', dir, ...(o.kill ? ['--kill'] : [])], 150_000);
    },
    async restartPostgres() {
      await cluster(['restart-postgres', '--dir', dir], 90_000);
    },
    serverLog() {
      const file = join(dir, 'server.log');
      return existsSync(file) ? readFileSync(file, 'utf8') : '';
    },
  };
}

export interface TestPostgres {
  port: number;
  /** DXP_RESULTS_URL of its results database (dxp_results). */
  resultsUrl: string;
  /** postgres:// URL of another database on it, created empty (for a fresh store). */
  createDatabase(name: string): string;
  psql(database: string, sql: string): string[];
  /** `pg_ctl restart -m immediate`: a crash and recovery. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** PostgreSQL alone, with the results database (`scripts/cluster.sh up --postgres-only`). */
export async function startTestPostgres(): Promise<TestPostgres> {
  installExitHook();
  const dir = tempDir('dxp-postgres-');
  live.add(dir);
  let up: { stdout: string };
  try {
    up = await cluster(['up', '--postgres-only', '--dir', dir], 90_000);
  } catch (err) {
    await cluster(['down', '--dir', dir], 60_000).catch(() => undefined);
    live.delete(dir);
    throw err;
  }
  const env = parseEnv(up.stdout);
  const port = Number(env.DXP_CLUSTER_PG_PORT);
  const resultsUrl = env.DXP_RESULTS_URL;
  if (!port || !resultsUrl) throw new Error(`scripts/cluster.sh up --postgres-only printed no DXP_CLUSTER_PG_PORT / DXP_RESULTS_URL:\n${up.stdout}`);
  let stopped = false;
  return {
    port,
    resultsUrl,
    psql: (database, sql) => psql(port, database, sql),
    createDatabase(name) {
      psql(port, 'postgres', `CREATE DATABASE ${name}`);
      return `postgres://temporal:temporal@127.0.0.1:${port}/${name}`;
    },
    async restart() {
      await cluster(['restart-postgres', '--dir', dir], 90_000);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await cluster(['down', '--dir', dir], 60_000);
      live.delete(dir);
    },
  };
}

/** Every run of `experimentId` in the PostgreSQL results store at `url`, read as the CLI reads them (no migration). */
export async function storedRuns(url: string, experimentId: string): Promise<RunRecord[]> {
  const store = await createPostgresStore({ url, migrate: false });
  const runs: RunRecord[] = [];
  try {
    for await (const run of store.readRuns(experimentId)) runs.push(run);
  } finally {
    await store.close();
  }
  return runs;
}
