/**
 * The results store's tables in PostgreSQL, created or brought up to date when a worker starts.
 * Several workers start at once: an advisory lock makes one of them migrate while the others
 * wait, and each step runs once (dxp_schema records the version reached).
 */
import type { Pool } from 'pg';
import { inTransaction } from './postgres-transaction';

/** Each entry is one version; append new ones, never edit a shipped one. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE dxp_experiments (
     experiment_id text PRIMARY KEY,
     name          text NOT NULL,
     spec          json,
     started_at    timestamptz NOT NULL,
     workflow_id   text NOT NULL,
     opened_by     text,
     run_count     bigint NOT NULL DEFAULT 0,
     summary       json,
     created_at    timestamptz NOT NULL DEFAULT now()
   );
   -- json, not jsonb: a run's output keeps its key order and text exactly as the task returned it.
   CREATE TABLE dxp_runs (
     experiment_id text NOT NULL REFERENCES dxp_experiments (experiment_id) ON DELETE CASCADE,
     example_id    text NOT NULL,
     repetition    integer NOT NULL,
     -- 0, or the 1-based row of a repeated example id (the failed run kept beside the first one).
     duplicate_row integer NOT NULL DEFAULT 0,
     seq           bigint GENERATED ALWAYS AS IDENTITY,
     record        json NOT NULL,
     stored_at     timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (experiment_id, example_id, repetition, duplicate_row)
   );
   CREATE INDEX dxp_runs_in_order ON dxp_runs (experiment_id, seq);`,
];

/** Any 64-bit number unique to this purpose; the lock is held for the migration's transaction only. */
const MIGRATION_LOCK = 0x64787073_6368656dn; // "dxpschem"

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the tables to SCHEMA_VERSION; a database migrated by a newer dxp is refused, not downgraded. */
export async function migrate(pool: Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    // store_id names this database for every process that reaches it, by whatever host name or user.
    await client.query('CREATE TABLE IF NOT EXISTS dxp_schema (version integer NOT NULL, store_id uuid NOT NULL DEFAULT gen_random_uuid())');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM dxp_schema');
    const current = rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(`the results database has schema version ${current}, newer than this dxp's ${SCHEMA_VERSION}: upgrade dxp`);
    }
    for (let v = current; v < SCHEMA_VERSION; v++) await client.query(MIGRATIONS[v]!);
    if (rows.length === 0) await client.query('INSERT INTO dxp_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
    else if (current < SCHEMA_VERSION) await client.query('UPDATE dxp_schema SET version = $1', [SCHEMA_VERSION]);
  });
}

/** Readers (the CLI) do not migrate: a database no worker has used yet says so. */
export async function assertMigrated(pool: Pool, where: string): Promise<void> {
  const { rows } = await pool.query<{ found: string | null }>("SELECT to_regclass('dxp_schema')::text AS found");
  if (!rows[0]?.found) throw new Error(`${where} has no dxp tables yet: they are made when the first \`dxp worker\` with this DXP_RESULTS_URL starts`);
}

/** The database's own id, made at its first migration. */
export async function storeId(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ store_id: string }>('SELECT store_id FROM dxp_schema');
  if (!rows[0]) throw new Error('dxp_schema is empty: the migration did not finish');
  return rows[0].store_id;
}
