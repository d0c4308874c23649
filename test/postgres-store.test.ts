/**
 * The PostgreSQL results store on a real PostgreSQL (scripts/cluster.sh up --postgres-only): what
 * the local store promises (each run once, whatever retries and races), across processes (each
 * store here has its own pool, as each worker has), across a crash of PostgreSQL, and across
 * workers migrating the same fresh database at once.
 */
import { runKey, type RunRecord } from '../core/records';
import { summarizeRuns, type ExperimentMeta, type ResultsStore } from '../activities/sinks';
import { createPostgresStore, ResultsStoreError } from '../activities/sinks/postgres-store';
import { SCHEMA_VERSION } from '../activities/sinks/postgres-schema';
import { resultsStoreConfig } from '../activities/sinks/store-config';
import { startTestPostgres, type TestPostgres } from './helpers/cluster';

let pg: TestPostgres;
const open: ResultsStore[] = [];
let dbCount = 0;

beforeAll(async () => {
  pg = await startTestPostgres();
}, 120_000);

afterAll(async () => {
  await Promise.all(open.map((s) => s.close().catch(() => undefined)));
  await pg?.stop();
}, 60_000);

/** A store on a database of its own, so tests do not see each other's experiments. */
async function freshStore(): Promise<{ store: ResultsStore; url: string }> {
  const url = pg.createDatabase(`store_${++dbCount}`);
  return { store: await storeOn(url), url };
}

async function storeOn(url: string, migrate = true): Promise<ResultsStore> {
  const store = await createPostgresStore({ url, migrate, maxConnections: 4 });
  open.push(store);
  return store;
}

function run(exampleId: string, repetition = 1, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    exampleId,
    repetition,
    output: { text: `answer to ${exampleId} ✓` },
    evaluations: {},
    steps: [{ name: 'solve', durationMs: 5, attempts: 1 }],
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 5,
    workflowId: `experiment/exp/example/${exampleId}/rep/${repetition}`,
    ...extra,
  };
}

function runs(from: number, to: number): RunRecord[] {
  return Array.from({ length: to - from }, (_, i) => run(`ex-${from + i}`));
}

function meta(experimentId = 'exp', name = 'my-experiment'): ExperimentMeta {
  return { experimentId, name, spec: { task: 'echo' }, startedAt: '2025-01-01T00:00:00.000Z', workflowId: `experiment/${name}` };
}

async function storedKeys(store: ResultsStore, id = 'exp'): Promise<string[]> {
  const keys: string[] = [];
  for await (const r of store.readRuns(id)) keys.push(runKey(r));
  return keys;
}

describe('PostgreSQL results store', () => {
  test('the same batch twice, overlapping batches and repeats inside a batch: each run stored once, the first kept', async () => {
    const { store } = await freshStore();
    await store.open(meta());
    expect(await store.append('exp', runs(0, 10))).toEqual({ added: 10, skipped: 0, total: 10 });
    expect(await store.append('exp', runs(0, 10))).toEqual({ added: 0, skipped: 10, total: 10 });
    expect(await store.append('exp', runs(5, 15))).toEqual({ added: 5, skipped: 5, total: 15 });
    const first = run('dup', 1, { output: 'first' });
    expect(await store.append('exp', [first, run('dup', 1, { output: 'second' }), run('dup', 2)])).toEqual({ added: 2, skipped: 1, total: 17 });
    // A repeated row's failed run is a run of its own (duplicateRow), beside the first one.
    expect(await store.append('exp', [run('dup', 1, { duplicateRow: 7, error: 'repeated id' })])).toEqual({ added: 1, skipped: 0, total: 18 });
    expect(await store.append('exp', [])).toEqual({ added: 0, skipped: 0, total: 18 });
    const stored: RunRecord[] = [];
    for await (const r of store.readRuns('exp')) stored.push(r);
    expect(stored.map(runKey)).toEqual([...runs(0, 15).map(runKey), 'dup#1', 'dup#2', 'dup#1#row7']);
    expect(stored.find((r) => runKey(r) === 'dup#1')?.output).toBe('first');
  });

  test('a run comes back exactly as stored: key order, unicode, NUL and control characters, big numbers', async () => {
    const { store } = await freshStore();
    await store.open(meta());
    const output = { zeta: 1, alpha: ['é', '𝄞', 'a\u0000b', '\u001f', '"\\'], nested: { b: null, a: 1.5e300, n: -0 }, big: 2 ** 53 - 1 };
    const original = run('exact', 1, { output, error: 'line 1\nline 2', evaluations: { judge: { score: 0.5, label: 'ok', explanation: '→' } } });
    await store.append('exp', [original]);
    const [back] = await toArray(store.readRuns('exp'));
    expect(JSON.stringify(back)).toBe(JSON.stringify(original));
    expect(Object.keys((back as RunRecord).output as object)).toEqual(['zeta', 'alpha', 'nested', 'big']);
  });

  test('runs are read back in pages, in the order stored, for more runs than one page', async () => {
    const { store } = await freshStore();
    await store.open(meta());
    for (let i = 0; i < 2_500; i += 500) await store.append('exp', runs(i, i + 500));
    const keys = await storedKeys(store);
    expect(keys).toEqual(runs(0, 2_500).map(runKey));
  });

  test('appending to an experiment never opened, or reading it, fails clearly', async () => {
    const { store } = await freshStore();
    await expect(store.append('nope', runs(0, 1))).rejects.toThrow(/not open/);
    await expect(toArray(store.readRuns('nope'))).rejects.toThrow(/not open/);
    await expect(store.readMeta('nope')).rejects.toThrow(/not open/);
  });

  test('the first open wins: a later or concurrent one keeps its meta and the stored runs', async () => {
    const { store, url } = await freshStore();
    const others = await Promise.all([1, 2, 3].map(() => storeOn(url)));
    await Promise.all([store, ...others].map((s, i) => s.open(meta('exp', `name-${i}`))));
    const names = await Promise.all([store, ...others].map(async (s) => (await s.readMeta('exp')).name));
    expect(new Set(names).size).toBe(1);
    await store.append('exp', runs(0, 3));
    await others[0]!.open({ ...meta('exp', 'late'), spec: null, openedBy: 'recordRuns' });
    expect(await store.readMeta('exp')).toEqual({ ...meta('exp', names[0]) });
    expect(await storedKeys(others[1]!)).toEqual(runs(0, 3).map(runKey));
  });

  test('eight workers racing overlapping batches of one experiment for 40 rounds: every run once, and the count agrees', async () => {
    const { store, url } = await freshStore();
    const workers = [store, ...(await Promise.all(Array.from({ length: 7 }, () => storeOn(url))))];
    await store.open(meta());
    const all = runs(0, 2_000);
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let added = 0;
    for (let round = 0; round < 40; round++) {
      // Every worker sends a window of runs that overlaps the others' (a batch retried on another worker).
      const results = await Promise.all(
        workers.map((w) => {
          const from = random(all.length - 100);
          return w.append('exp', all.slice(from, from + 20 + random(80)));
        }),
      );
      added += results.reduce((sum, r) => sum + r.added, 0);
    }
    const keys = await storedKeys(store);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(added);
    expect(pg.psql(`store_${dbCount}`, "SELECT run_count FROM dxp_experiments WHERE experiment_id = 'exp'")).toEqual([String(keys.length)]);
    const final = await store.append('exp', all);
    expect(final.total).toBe(all.length);
    expect(final.added).toBe(all.length - keys.length);
  }, 60_000);

  test('workers migrating one fresh database at once: all start, one schema, one store identity', async () => {
    const url = pg.createDatabase(`store_${++dbCount}`);
    const stores = await Promise.all(Array.from({ length: 6 }, () => storeOn(url)));
    expect(new Set(stores.map((s) => s.identity)).size).toBe(1);
    expect(stores[0]!.identity).toMatch(/^postgres:[0-9a-f-]{36}$/);
    expect(pg.psql(`store_${dbCount}`, 'SELECT version FROM dxp_schema')).toEqual([String(SCHEMA_VERSION)]);
    // The same database reached by another spelling of its address is the same store.
    const other = await storeOn(url.replace('127.0.0.1', 'localhost'));
    expect(other.identity).toBe(stores[0]!.identity);
  }, 60_000);

  test('a reader (the CLI) does not migrate: a database no worker has used says so', async () => {
    const url = pg.createDatabase(`store_${++dbCount}`);
    const err = await createPostgresStore({ url, migrate: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResultsStoreError);
    expect((err as Error).message).toMatch(/no dxp tables yet.*first `dxp worker`/);
    expect((err as ResultsStoreError).unreachable).toBe(false);
    expect(pg.psql(`store_${dbCount}`, "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'dxp_%'")).toEqual(['0']);
  });

  test('an unreachable database fails at open, as unreachable, without the password in the message', async () => {
    const err = await createPostgresStore({ url: 'postgres://temporal:s3cret-pw@127.0.0.1:1/dxp_results', migrate: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResultsStoreError);
    expect((err as ResultsStoreError).unreachable).toBe(true);
    expect((err as Error).message).toContain('postgres://temporal@127.0.0.1:1/dxp_results');
    expect((err as Error).message).not.toContain('s3cret-pw');
  });

  test('summarize counts what is stored and keeps the summary in the database', async () => {
    const { store } = await freshStore();
    await store.open(meta());
    const stored = [
      ...runs(0, 8).map((r, i) => ({ ...r, evaluations: { exact: { score: i % 2, label: i % 2 ? 'yes' : 'no' } } })),
      run('bad', 1, { error: 'boom', output: null }),
    ];
    await store.append('exp', stored);
    await store.append('exp', stored.slice(0, 4));
    const summary = await store.summarize('exp', 'completed', '2025-01-01T00:01:00.000Z');
    const expected = summarizeRuns(stored, { experimentId: 'exp', name: 'my-experiment', status: 'completed', location: summary.location, startedAt: meta().startedAt, finishedAt: '2025-01-01T00:01:00.000Z' });
    expect(summary).toEqual(expected);
    expect(summary).toMatchObject({ runs: 9, succeeded: 8, failed: 1 });
    expect(summary.location).toBe(`postgres://temporal@127.0.0.1:${pg.port}/store_${dbCount}`);
    const kept = JSON.parse(pg.psql(`store_${dbCount}`, "SELECT summary FROM dxp_experiments WHERE experiment_id = 'exp'")[0]!) as unknown;
    expect(kept).toEqual(summary);
  });

  test('PostgreSQL crashing (restart -m immediate) three times under four writers: each batch all or nothing, no process crash, and the retries store every run once', async () => {
    const { store, url } = await freshStore();
    const writers = [store, ...(await Promise.all([1, 2, 3].map(() => storeOn(url))))];
    await store.open(meta());
    const batches: RunRecord[][] = [];
    const failed: RunRecord[][] = [];
    let crashing = true;
    // No pause between appends: a crash lands between a transaction's statements, on a
    // connection that is checked out (the case that crashes a process without an error listener).
    const writing = writers.map(async (s) => {
      while (crashing) {
        const batch = runs(batches.length * 10, batches.length * 10 + 10);
        batches.push(batch);
        try {
          await s.append('exp', batch);
        } catch {
          failed.push(batch);
          await new Promise((r) => setTimeout(r, 20)); // a writer's pause before its next batch while PostgreSQL is down
        }
      }
    });
    for (let crash = 0; crash < 3; crash++) {
      await new Promise((r) => setTimeout(r, 400)); // the point: 400 ms of writing under load between crashes
      await pg.restart();
    }
    await new Promise((r) => setTimeout(r, 400)); // the point: 400 ms of writing after the last crash
    crashing = false;
    await Promise.all(writing);
    const all = batches.flat();
    console.log(`${failed.length} of ${batches.length} batches failed across 3 crashes`);
    expect(failed.length).toBeGreaterThan(0);
    // Every failed batch was either fully stored (the commit reached disk before the crash) or not at all.
    const afterCrash = new Set(await storedKeys(store));
    for (const batch of batches) {
      const present = batch.filter((r) => afterCrash.has(runKey(r))).length;
      expect([0, batch.length]).toContain(present);
    }
    // The workflow retries failed batches until they land.
    for (const batch of failed) {
      for (let attempt = 0; ; attempt++) {
        try {
          await store.append('exp', batch);
          break;
        } catch (err) {
          if (attempt > 50) throw err;
          await new Promise((r) => setTimeout(r, 200)); // retry backoff, as the workflow's activity retry would
        }
      }
    }
    const keys = await storedKeys(store);
    expect(keys.length).toBe(all.length);
    expect(new Set(keys)).toEqual(new Set(all.map(runKey)));
    expect((await store.append('exp', [])).total).toBe(all.length);
  }, 120_000);
});

describe('DXP_RESULTS_URL', () => {
  test('unset means the local files; a postgres URL the database; anything else is refused, naming the variable', () => {
    expect(resultsStoreConfig({}, '/data')).toEqual({ kind: 'local', dataDir: '/data' });
    expect(resultsStoreConfig({ DXP_RESULTS_URL: 'postgresql://u:p@db:5432/results' }, '/data')).toEqual({ kind: 'postgres', url: 'postgresql://u:p@db:5432/results' });
    expect(() => resultsStoreConfig({ DXP_RESULTS_URL: 'mysql://u:secretpw@db/results' }, '/d')).toThrow(/^DXP_RESULTS_URL: mysql:\/\/ is not supported/);
    expect(() => resultsStoreConfig({ DXP_RESULTS_URL: 'postgres://u:secretpw@db' }, '/d')).toThrow(/DXP_RESULTS_URL: .*needs a host and a database/);
    expect(() => resultsStoreConfig({ DXP_RESULTS_URL: 'not a url' }, '/d')).toThrow(/^DXP_RESULTS_URL: not a URL/);
    for (const bad of ['mysql://u:secretpw@db/results', 'postgres://u:secretpw@db']) {
      expect(() => resultsStoreConfig({ DXP_RESULTS_URL: bad }, '/d')).not.toThrow(/secretpw/);
    }
  });
});

async function toArray<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
