/**
 * Results store in PostgreSQL, shared by every worker (DXP_RESULTS_URL=postgres://...):
 *   dxp_experiments  one row per experiment: meta, run count, last summary
 *   dxp_runs         one row per run, keyed by (experiment, example, repetition, duplicate row)
 * An append is one transaction that inserts with ON CONFLICT DO NOTHING, so a retried or
 * repeated batch, or two workers racing on one, store each run once; a crash of the worker or
 * of PostgreSQL mid-batch leaves all of it or none of it, and the retry fills the gap.
 */
import pg from 'pg';
import { type ExperimentSummary, type RunRecord } from '../../core/records';
import { assertMigrated, migrate, storeId } from './postgres-schema';
import type { AppendResult, ExperimentMeta, ResultsStore } from './results-sink';
import { createSummaryBuilder } from './summary';
import { inTransaction } from './postgres-transaction';

/** Rows per read while streaming runs: bounded memory for experiments of any size. */
const READ_PAGE = 1000;

export interface PostgresStoreOptions {
  url: string;
  /** Workers migrate at start; the CLI only reads and is told when no worker has yet. */
  migrate: boolean;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
  /** Where a dropped idle connection is reported (PostgreSQL restarted); the pool replaces it. */
  onIdleError?: (err: Error) => void;
}

export async function createPostgresStore(opts: PostgresStoreOptions): Promise<ResultsStore> {
  const where = redactedUrl(opts.url);
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.maxConnections ?? 10, connectionTimeoutMillis: 10_000 });
  // Without a listener an idle connection cut by a PostgreSQL restart would crash the process.
  pool.on('error', (err) => opts.onIdleError?.(err));
  let id: string;
  try {
    if (opts.migrate) await migrate(pool);
    else await assertMigrated(pool, where);
    id = await storeId(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new ResultsStoreError(`results store ${where}: ${(err as Error).message}`, isConnectionError(err), { cause: err });
  }

  async function readMeta(experimentId: string): Promise<ExperimentMeta> {
    const { rows } = await pool.query<MetaRow>(
      'SELECT experiment_id, name, spec, started_at, workflow_id, opened_by FROM dxp_experiments WHERE experiment_id = $1',
      [experimentId],
    );
    const row = rows[0];
    if (!row) throw notOpen(experimentId);
    return {
      experimentId: row.experiment_id,
      name: row.name,
      spec: row.spec,
      startedAt: row.started_at.toISOString(),
      workflowId: row.workflow_id,
      ...(row.opened_by === 'recordRuns' ? { openedBy: 'recordRuns' as const } : {}),
    };
  }

  async function* readRuns(experimentId: string): AsyncGenerator<RunRecord> {
    await readMeta(experimentId);
    // Keyset pages in the order stored: no cursor held open between pages.
    for (let after = '0'; ; ) {
      const { rows } = await pool.query<{ seq: string; record: RunRecord }>(
        'SELECT seq, record FROM dxp_runs WHERE experiment_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        [experimentId, after, READ_PAGE],
      );
      for (const row of rows) yield row.record;
      if (rows.length < READ_PAGE) return;
      after = rows.at(-1)!.seq;
    }
  }

  async function append(experimentId: string, runs: RunRecord[]): Promise<AppendResult> {
    return inTransaction(pool, async (client) => {
      // Locks the experiment's row: concurrent appends to one experiment count in turn.
      const locked = await client.query('SELECT 1 FROM dxp_experiments WHERE experiment_id = $1 FOR UPDATE', [experimentId]);
      if (locked.rowCount === 0) throw notOpen(experimentId);
      let added = 0;
      if (runs.length > 0) {
        const inserted = await client.query(
          `INSERT INTO dxp_runs (experiment_id, example_id, repetition, duplicate_row, record)
           SELECT $1, * FROM unnest($2::text[], $3::integer[], $4::integer[], $5::json[])
           ON CONFLICT DO NOTHING`,
          [
            experimentId,
            runs.map((r) => r.exampleId),
            runs.map((r) => r.repetition),
            runs.map((r) => r.duplicateRow ?? 0),
            runs.map((r) => JSON.stringify(r)),
          ],
        );
        added = inserted.rowCount ?? 0;
      }
      const counted = await client.query<{ run_count: string }>(
        'UPDATE dxp_experiments SET run_count = run_count + $2 WHERE experiment_id = $1 RETURNING run_count',
        [experimentId, added],
      );
      return { added, skipped: runs.length - added, total: Number(counted.rows[0]!.run_count) };
    });
  }

  return {
    identity: `postgres:${id}`,
    locationOf: () => where,

    async open(meta) {
      // The first open wins; a later one (a retry, another worker) keeps the stored meta.
      await pool.query(
        `INSERT INTO dxp_experiments (experiment_id, name, spec, started_at, workflow_id, opened_by)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (experiment_id) DO NOTHING`,
        [meta.experimentId, meta.name, meta.spec === null || meta.spec === undefined ? null : JSON.stringify(meta.spec), meta.startedAt, meta.workflowId, meta.openedBy ?? null],
      );
    },

    append,

    async summarize(experimentId, status, finishedAt) {
      const meta = await readMeta(experimentId);
      const builder = createSummaryBuilder();
      for await (const run of readRuns(experimentId)) builder.add(run);
      const summary: ExperimentSummary = builder.finish({
        experimentId,
        name: meta.name,
        status,
        location: where,
        startedAt: meta.startedAt,
        finishedAt,
      });
      await pool.query('UPDATE dxp_experiments SET summary = $2 WHERE experiment_id = $1', [experimentId, JSON.stringify(summary)]);
      return summary;
    },

    readRuns,
    readMeta,
    close: () => pool.end(),
  };
}

interface MetaRow {
  experiment_id: string;
  name: string;
  spec: unknown;
  started_at: Date;
  workflow_id: string;
  opened_by: string | null;
}

/** The store could not be opened; `unreachable` when PostgreSQL did not answer (vs refused us). */
export class ResultsStoreError extends Error {
  constructor(
    message: string,
    readonly unreachable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ResultsStoreError';
  }
}

/** Network failures have a Node error code; PostgreSQL's own refusals (auth, no database) have a SQLSTATE. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return /timeout|terminated/i.test(String((err as Error).message));
  return /^E[A-Z]+$/.test(code) || code.startsWith('08') || code === '57P03';
}

/** The URL without its password (and query), fit for logs, summaries and error messages. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

function notOpen(experimentId: string): Error {
  return new Error(`Experiment ${JSON.stringify(experimentId)} is not open in this results store: call open() first`);
}
