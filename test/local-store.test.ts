import { promises as fs } from 'node:fs';
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { runKey, type RunRecord } from '../core/records';
import { createLocalStore, MAX_LISTED_FAILURES, summarizeRuns, type ExperimentMeta, type ResultsSink } from '../activities/sinks';

let root: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'dxp-local-store-'));
});

afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function run(exampleId: string, repetition = 0, extra: Partial<RunRecord> = {}): RunRecord {
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
  const out: RunRecord[] = [];
  for (let i = from; i < to; i++) out.push(run(`ex-${i}`));
  return out;
}

function meta(experimentId = 'exp', name = 'my-experiment'): ExperimentMeta {
  return { experimentId, name, spec: { task: 'echo' }, startedAt: '2025-01-01T00:00:00.000Z', workflowId: `experiment/${name}` };
}

const runsFile = (id = 'exp') => path.join(root, 'experiments', id, 'runs.jsonl');

async function opened(id = 'exp'): Promise<ResultsSink> {
  const store = createLocalStore(root);
  await store.open(meta(id));
  return store;
}

async function storedLines(id = 'exp'): Promise<unknown[]> {
  const text = await fs.readFile(runsFile(id), 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
}

async function storedKeys(store: ResultsSink, id = 'exp'): Promise<string[]> {
  const keys: string[] = [];
  for await (const r of store.readRuns(id)) keys.push(runKey(r));
  return keys;
}

describe('local results store', () => {
  test('the same batch appended twice is stored once', async () => {
    const store = await opened();
    expect(await store.append('exp', runs(0, 10))).toEqual({ added: 10, skipped: 0, total: 10 });
    expect(await store.append('exp', runs(0, 10))).toEqual({ added: 0, skipped: 10, total: 10 });
    expect(await storedLines()).toHaveLength(10);
  });

  test('overlapping batches store their union once, in the order stored', async () => {
    const store = await opened();
    await store.append('exp', runs(0, 10));
    expect(await store.append('exp', runs(5, 15))).toEqual({ added: 5, skipped: 5, total: 15 });
    expect(await storedKeys(store)).toEqual(runs(0, 15).map(runKey));
  });

  test('duplicates inside one batch are stored once, the first one kept', async () => {
    const store = await opened();
    const first = run('a', 0, { output: 'first' });
    const batch = [first, run('b'), run('a', 0, { output: 'second' }), run('a', 1)];
    expect(await store.append('exp', batch)).toEqual({ added: 3, skipped: 1, total: 3 });
    const stored = [];
    for await (const r of store.readRuns('exp')) stored.push(r);
    expect(stored.map(runKey)).toEqual(['a#0', 'b#0', 'a#1']);
    expect(stored[0]?.output).toBe('first');
  });

  test('an empty batch stores nothing and reports the total', async () => {
    const store = await opened();
    await store.append('exp', runs(0, 3));
    expect(await store.append('exp', [])).toEqual({ added: 0, skipped: 0, total: 3 });
  });

  test('a torn last line is cut away before the next append, and its run is stored once', async () => {
    const store = await opened();
    await store.append('exp', runs(0, 5));
    // A process killed in the middle of a write leaves half a line behind.
    const line = JSON.stringify(run('ex-5'));
    await fs.appendFile(runsFile(), line.slice(0, line.length >> 1));

    expect(await storedKeys(store)).toEqual(runs(0, 5).map(runKey)); // readers skip the torn line
    expect(await store.append('exp', runs(5, 7))).toEqual({ added: 2, skipped: 0, total: 7 });
    expect(await store.append('exp', runs(5, 7))).toEqual({ added: 0, skipped: 2, total: 7 });
    const lines = await storedLines();
    expect(lines.map((l) => runKey(l as RunRecord))).toEqual(runs(0, 7).map(runKey));
  });

  test('a torn last line is repaired by a fresh store too, as after a restart', async () => {
    const first = await opened();
    await first.append('exp', runs(0, 3));
    await fs.appendFile(runsFile(), '{"exampleId":"ex-3","repe');

    const restarted = createLocalStore(root);
    expect(await restarted.append('exp', runs(0, 5))).toEqual({ added: 2, skipped: 3, total: 5 });
    expect((await storedLines()).map((l) => runKey(l as RunRecord))).toEqual(runs(0, 5).map(runKey));
  });

  test('a complete but unparseable last line is dropped as torn', async () => {
    const store = await opened();
    await store.append('exp', runs(0, 2));
    await fs.appendFile(runsFile(), '\u0000\u0000\u0000\n');
    expect(await storedKeys(store)).toEqual(runs(0, 2).map(runKey));
    expect(await store.append('exp', runs(0, 3))).toEqual({ added: 1, skipped: 2, total: 3 });
    expect(await storedLines()).toHaveLength(3);
  });

  test('an unparseable line in the middle is reported, never silently dropped', async () => {
    const store = await opened();
    await store.append('exp', runs(0, 1));
    await fs.appendFile(runsFile(), 'garbage\n' + JSON.stringify(run('ex-9')) + '\n');
    await expect(store.append('exp', runs(1, 2))).rejects.toThrow(/line 2 is not a run record/);
    await expect(storedKeys(store)).rejects.toThrow(/line 2 is not a run record/);
  });

  test('a second store on the same folder, like another process, sees the keys the first one stored', async () => {
    const a = await opened();
    const b = createLocalStore(root);
    await a.append('exp', runs(0, 10));
    expect(await b.append('exp', runs(5, 20))).toEqual({ added: 10, skipped: 5, total: 20 });
    // a's cache is now stale: the size on disk changed, so it rebuilds instead of duplicating.
    expect(await a.append('exp', runs(15, 25))).toEqual({ added: 5, skipped: 5, total: 25 });
    expect(await storedKeys(a)).toEqual(runs(0, 25).map(runKey));
  });

  test('concurrent appends in one process keep every run exactly once and every line whole', async () => {
    const store = await opened();
    // Big outputs make each write large, so interleaved writes would tear lines.
    const big = (r: RunRecord): RunRecord => ({ ...r, output: 'x'.repeat(20_000) });
    const batches = Array.from({ length: 20 }, (_, i) => runs(i * 5, i * 5 + 20).map(big));
    const results = await Promise.all(batches.map((batch) => store.append('exp', batch)));
    expect(results.reduce((n, r) => n + r.added, 0)).toBe(115);
    const lines = await storedLines(); // JSON.parse of every line
    const keys = lines.map((l) => runKey(l as RunRecord));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.sort()).toEqual(runs(0, 115).map(runKey).sort());
  });

  test('appending to an experiment that was never opened fails clearly', async () => {
    const store = createLocalStore(root);
    await expect(store.append('nope', runs(0, 1))).rejects.toThrow(/not open/);
  });

  test.each([
    ['empty', ''],
    ['parent folder', '..'],
    ['leading dot', '.hidden'],
    ['leading dash', '-x'],
    ['slash', 'a/b'],
    ['backslash', 'a\\b'],
    ['space', 'a b'],
    ['non-ASCII', 'ünï'],
    ['256 characters', 'x'.repeat(256)],
  ])('an experiment id with %s is rejected', async (_label, id) => {
    const store = createLocalStore(root);
    await expect(store.open(meta(id))).rejects.toThrow(/Invalid experiment id/);
    await expect(store.append(id, [])).rejects.toThrow(/Invalid experiment id/);
    await expect(store.summarize(id, 'completed', 'now')).rejects.toThrow(/Invalid experiment id/);
    await expect(storedKeys(store, id)).rejects.toThrow(/Invalid experiment id/);
  });

  test('opening twice keeps the first meta and the stored runs', async () => {
    const store = createLocalStore(root);
    await store.open(meta('exp', 'first'));
    await store.append('exp', runs(0, 3));
    await store.open(meta('exp', 'second'));
    await createLocalStore(root).open(meta('exp', 'third'));
    const saved = JSON.parse(await fs.readFile(path.join(root, 'experiments', 'exp', 'experiment.json'), 'utf8'));
    expect(saved).toEqual(meta('exp', 'first'));
    expect(await storedLines()).toHaveLength(3);
    const leftovers = (await fs.readdir(path.join(root, 'experiments', 'exp'))).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });

  test('concurrent opens agree on one meta', async () => {
    const stores = Array.from({ length: 5 }, () => createLocalStore(root));
    await Promise.all(stores.map((s, i) => s.open(meta('exp', `name-${i}`))));
    const saved = JSON.parse(await fs.readFile(path.join(root, 'experiments', 'exp', 'experiment.json'), 'utf8'));
    expect(saved.name).toMatch(/^name-\d$/);
  });
});

describe('experiment summary', () => {
  const info = {
    experimentId: 'exp',
    name: 'my-experiment',
    status: 'completed' as const,
    location: '/somewhere',
    startedAt: 's',
    finishedAt: 'f',
  };

  test('mean scores, label counts and evaluator errors are per evaluator', () => {
    const summary = summarizeRuns(
      [
        run('a', 0, { evaluations: { exact: { score: 1, label: 'pass' }, judge: { label: 'good' } } }),
        run('b', 0, { evaluations: { exact: { score: 0, label: 'fail' }, judge: { error: 'rate limited' } } }),
        run('c', 0, { evaluations: { exact: { score: 0.5, label: 'pass' }, judge: { label: '__proto__' } } }),
        run('d', 0, { error: 'task crashed' }),
      ],
      info,
    );
    expect(summary).toMatchObject({ runs: 4, succeeded: 3, failed: 1, failuresTruncated: false });
    expect(summary.failures).toEqual([{ exampleId: 'd', repetition: 0, error: 'task crashed' }]);
    expect(summary.evaluators.exact).toEqual({ meanScore: 0.5, scored: 3, labels: { pass: 2, fail: 1 }, errors: 0 });
    expect(summary.evaluators.judge).toEqual({
      meanScore: null,
      scored: 0,
      labels: Object.fromEntries([['good', 1], ['__proto__', 1]]),
      errors: 1,
    });
  });

  test('the failure list stops at 50 and says it was truncated', () => {
    const failing = Array.from({ length: 60 }, (_, i) => run(`ex-${i}`, 0, { error: `boom ${i}` }));
    const summary = summarizeRuns(failing, info);
    expect(summary.failed).toBe(60);
    expect(summary.failures).toHaveLength(MAX_LISTED_FAILURES);
    expect(summary.failures[49]).toEqual({ exampleId: 'ex-49', repetition: 0, error: 'boom 49' });
    expect(summary.failuresTruncated).toBe(true);
    expect(summarizeRuns(failing.slice(0, 50), info).failuresTruncated).toBe(false);
  });

  test('summarize reads what is stored, persists summary.json and points at the experiment folder', async () => {
    const store = await opened();
    await store.append('exp', [
      run('a', 0, { evaluations: { exact: { score: 1 } } }),
      run('b', 0, { evaluations: { exact: { score: 0 } }, error: 'wrong' }),
    ]);
    await fs.appendFile(runsFile(), '{"exampleId":"c"'); // torn tail: not a run yet
    const summary = await store.summarize('exp', 'failed', '2025-01-02T00:00:00.000Z');
    const folder = path.join(root, 'experiments', 'exp');
    expect(summary).toMatchObject({
      experimentId: 'exp',
      name: 'my-experiment',
      status: 'failed',
      runs: 2,
      succeeded: 1,
      failed: 1,
      location: folder,
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-02T00:00:00.000Z',
    });
    expect(path.isAbsolute(summary.location)).toBe(true);
    expect(summary.evaluators.exact?.meanScore).toBe(0.5);
    expect(JSON.parse(await fs.readFile(path.join(folder, 'summary.json'), 'utf8'))).toEqual(summary);
  });
});

describe('local results store at scale', () => {
  test('appending 100,000 runs in batches of 100 (timing printed)', async () => {
    const store = await opened();
    const all = runs(0, 100_000);
    const started = performance.now();
    for (let i = 0; i < all.length; i += 100) await store.append('exp', all.slice(i, i + 100));
    const appended = performance.now() - started;
    const retry = await store.append('exp', all.slice(50_000, 50_100));
    const rebuildStarted = performance.now();
    const restarted = await createLocalStore(root).append('exp', all.slice(0, 100));
    const rebuilt = performance.now() - rebuildStarted;
    const summaryStarted = performance.now();
    const summary = await store.summarize('exp', 'completed', 'now');
    const summarized = performance.now() - summaryStarted;
    expect(retry).toEqual({ added: 0, skipped: 100, total: 100_000 });
    expect(restarted).toEqual({ added: 0, skipped: 100, total: 100_000 });
    expect(summary.runs).toBe(100_000);
    console.log(
      `local store: 100,000 runs in 1,000 appends ${appended.toFixed(0)} ms ` +
        `(${(appended / 1000).toFixed(2)} ms/append); key rebuild ${rebuilt.toFixed(0)} ms; summarize ${summarized.toFixed(0)} ms`,
    );
  });
});

describe('local store identity', () => {
  test('it follows the folder: the same for every store on it, another for another folder, and reading runs makes none', async () => {
    const a = createLocalStore(root);
    expect(await storedKeysOrNone(a)).toBe('not open');
    await expect(fs.access(path.join(root, 'experiments', '.store-id'))).rejects.toMatchObject({ code: 'ENOENT' });
    const id = a.identity;
    expect(id).toMatch(/^local:[0-9a-f-]{36}$/);
    expect(createLocalStore(root).identity).toBe(id);
    const other = await fs.mkdtemp(path.join(os.tmpdir(), 'dxp-local-store-other-'));
    try {
      expect(createLocalStore(other).identity).not.toBe(id);
    } finally {
      await fs.rm(other, { recursive: true, force: true });
    }
  });

  test('processes racing to make a fresh folder\'s id agree on one, 10 rounds of 6', async () => {
    const program = `process.stdout.write(require(${JSON.stringify(path.join(__dirname, '..', 'activities', 'sinks', 'local-store-id.ts'))}).localStoreId(process.argv[1]))`;
    for (let round = 0; round < 10; round++) {
      const folder = path.join(root, `round-${round}`);
      const ids = await Promise.all(
        Array.from({ length: 6 }, () => new Promise<string>((resolve, reject) => {
          execFile(process.execPath, ['-r', 'tsx/cjs', '-e', program, folder], (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)));
        })),
      );
      expect(new Set(ids).size).toBe(1);
      expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
      // No temporary file is left behind by the losers.
      expect(await fs.readdir(folder)).toEqual(['.store-id']);
    }
  }, 120_000);
});

async function storedKeysOrNone(store: ResultsSink): Promise<string[] | 'not open'> {
  try {
    return await storedKeys(store);
  } catch {
    return 'not open';
  }
}
