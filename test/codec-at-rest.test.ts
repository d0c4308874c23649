/**
 * Encryption at rest, proven on the databases themselves: the same experiment, once with
 * DXP_CODEC_KEYS on `dxp run` and `dxp worker` and once without, with random canaries in the
 * dataset rows (input, expected), the spec (an evaluator's parameter), the task's output and a
 * failure's message. Encrypted, no canary is in a full dump of the Temporal cluster's PostgreSQL
 * or in the dev server's SQLite files; the plain run's canaries are (so the search can fail). The
 * codec server, given the raw encrypted history, gives every canary back, and so does the
 * Temporal CLI through it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startCodecServer, type RunningCodecServer } from '../client/codec-server';
import { codecFromEnv } from '../connection/codec/data-converter';
import type { DevServer } from '../client/dev-server';
import { requireTemporalCli } from '../client/temporal-cli';
import { exampleWorkflowId, experimentWorkflowId } from '../workflows/experiment-contract';
import type { ExperimentSummary } from '../core/records';
import { dxpEnv, runDxp } from './helpers/cli';
import { startTestCluster, type TestCluster } from './helpers/cluster';
import { formsFound } from './helpers/dump-search';
import { killAllWorkerProcesses, PROJECT_ROOT, startWorkerProcess, type WorkerProcess } from './helpers/processes';
import { encryptedWorkflowBundleFile, startTestServer, tempDir, workflowBundleFile } from './helpers/temporal';

const TASKS = join(PROJECT_ROOT, 'test', 'fixtures', 'codec-tasks.ts');
// Rotation in place: the first key encrypts, the second is there to decrypt older payloads.
const KEYS = `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`;
const KINDS = ['input', 'expected', 'spec', 'output', 'failure'] as const;
type Canaries = Record<(typeof KINDS)[number], string>;

const newCanaries = (): Canaries => Object.fromEntries(KINDS.map((k) => [k, `canary-${randomBytes(12).toString('hex')}`])) as Canaries;

/** `kind (form)` for each canary found in `haystack`. */
function found(haystack: Buffer, canaries: Canaries): string[] {
  return KINDS.flatMap((kind) => formsFound(haystack, canaries[kind]).map((form) => `${kind} (${form})`));
}

function missing(haystack: Buffer, canaries: Canaries, kinds: readonly (typeof KINDS)[number][] = KINDS): string[] {
  return kinds.filter((kind) => formsFound(haystack, canaries[kind]).length === 0);
}

interface Run {
  name: string;
  taskQueue: string;
  canaries: Canaries;
  encrypted: boolean;
}

const runs = { encrypted: { name: 'at-rest-encrypted', taskQueue: 'at-rest-encrypted', canaries: newCanaries(), encrypted: true }, plain: { name: 'at-rest-plain', taskQueue: 'at-rest-plain', canaries: newCanaries(), encrypted: false } } satisfies Record<string, Run>;

let dir: string;
let bundles: { plain: string; encrypted: string };

beforeAll(async () => {
  dir = tempDir('dxp-at-rest-');
  const [plain, encrypted] = await Promise.all([workflowBundleFile(), encryptedWorkflowBundleFile()]);
  bundles = { plain, encrypted };
}, 120_000);

afterAll(() => killAllWorkerProcesses());

function startWorker(address: string, run: Run, where: string): Promise<WorkerProcess> {
  return startWorkerProcess({
    name: `${run.name} worker`,
    address,
    taskQueue: run.taskQueue,
    dataDir: join(dir, where, run.name),
    workflowBundle: run.encrypted ? bundles.encrypted : bundles.plain,
    ledger: join(dir, 'ledger.jsonl'),
    tasks: TASKS,
    env: { DXP_TEST_OUTPUT_CANARY: run.canaries.output, DXP_TEST_FAILURE_CANARY: run.canaries.failure, ...(run.encrypted ? { DXP_CODEC_KEYS: KEYS } : {}) },
  });
}

/** `dxp run --wait --json`: two rows answered, one refused. Canaries never go into ids or names (those are not encrypted). */
async function runExperiment(address: string, run: Run, where: string): Promise<ExperimentSummary> {
  const c = run.canaries;
  const rows = [
    { id: 'ok-1', input: `what is ${c.input}?`, expected: c.expected },
    { id: 'ok-2', input: `again ${c.input}`, expected: `also ${c.expected}` },
    { id: 'refused-1', input: `never ${c.input}`, expected: c.expected, fail: true },
  ];
  const runDir = join(dir, where, `${run.name}-spec`);
  spawnSync('mkdir', ['-p', runDir]);
  writeFileSync(join(runDir, 'rows.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const spec = [`name: ${run.name}`, 'dataset: { path: rows.jsonl }', 'task: echo', `taskQueue: ${run.taskQueue}`, 'evaluators: [exact-match, { use: contains, with: { text: "' + c.spec + '" } }]'];
  writeFileSync(join(runDir, 'spec.yaml'), spec.join('\n') + '\n');
  const result = await runDxp(['run', 'spec.yaml', '--wait', '--json'], {
    cwd: runDir,
    env: dxpEnv({ TEMPORAL_ADDRESS: address, DXP_TASKS: TASKS, ...(run.encrypted ? { DXP_CODEC_KEYS: KEYS } : {}) }),
  });
  if (result.code !== 0) throw new Error(`dxp run ${run.name} exited ${result.code}: ${result.stderr}\n${result.stdout}`);
  const summary = JSON.parse(result.stdout.slice(result.stdout.indexOf('\n{') + 1)) as ExperimentSummary;
  expect(summary).toMatchObject({ name: run.name, status: 'completed', runs: 3, succeeded: 2, failed: 1 });
  // The client decrypts what it reads: the refusal, with its canary, is in the summary it prints.
  expect(JSON.stringify(summary.failures)).toContain(c.failure);
  return summary;
}

/**
 * Every payload of a workflow's raw history (no codec), in the codec protocol's JSON form; without
 * search attributes and the SDK's own marker data (a patch's name, a local activity's bookkeeping),
 * which no codec ever sees.
 */
async function rawPayloads(client: Client, workflowId: string): Promise<{ metadata: Record<string, string>; data?: string }[]> {
  const history = JSON.parse(historyToJSON(await client.workflow.getHandle(workflowId).fetchHistory())) as unknown;
  const payloads: { metadata: Record<string, string>; data?: string }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    const marker = record.markerRecordedEventAttributes as { markerName?: string; details?: Record<string, unknown> } | undefined;
    if (marker?.markerName === 'core_patch') return;
    // A local activity's marker: its `result` is the activity's, encoded; `data` is the SDK's own
    // bookkeeping (sequence, attempt, activity type, times), written by the SDK core in plain JSON.
    if (marker?.markerName === 'core_local_activity') return walk(marker.details?.result);
    const metadata = record.metadata as Record<string, unknown> | undefined;
    if (metadata && typeof metadata.encoding === 'string') payloads.push(record as { metadata: Record<string, string>; data?: string });
    else for (const [key, value] of Object.entries(record)) if (key !== 'searchAttributes') walk(value);
  };
  walk(history);
  return payloads;
}

const decoded = (metadata: Record<string, string>, key: string) => (metadata[key] ? Buffer.from(metadata[key], 'base64').toString() : undefined);

describe('on a Temporal cluster on PostgreSQL', () => {
  let cluster: TestCluster | undefined;
  let client: Client;
  let codecServer: RunningCodecServer;
  const token = randomBytes(24).toString('hex');

  beforeAll(async () => {
    const t0 = Date.now();
    cluster = await startTestCluster();
    console.log(`cluster on ${cluster.address} (PostgreSQL on ${cluster.pgPort}) up in ${Date.now() - t0} ms`);
    await Promise.all([startWorker(cluster.address, runs.encrypted, 'cluster'), startWorker(cluster.address, runs.plain, 'cluster')]);
    await Promise.all([runExperiment(cluster.address, runs.encrypted, 'cluster'), runExperiment(cluster.address, runs.plain, 'cluster')]);
    // A client without the codec: what anyone with access to the server reads.
    client = new Client({ connection: await Connection.connect({ address: cluster.address }), namespace: cluster.namespace });
    codecServer = await startCodecServer({ codec: codecFromEnv({ DXP_CODEC_KEYS: KEYS })!, port: 0, host: '127.0.0.1', token });
  }, 360_000);

  afterAll(async () => {
    await killAllWorkerProcesses();
    await client?.connection.close();
    await codecServer?.close();
    await cluster?.stop();
  }, 90_000);

  test('pg_dumpall holds no canary of the encrypted run, and every canary of the plain one', async () => {
    const dump = cluster!.dumpAll();
    console.log(`pg_dumpall: ${(dump.length / 1e6).toFixed(1)} MB`);
    // Payloads are bytea, printed in hex: the encrypted ones are there, under their encoding.
    expect(dump.includes(Buffer.from(Buffer.from('binary/encrypted').toString('hex')))).toBe(true);
    expect(found(dump, runs.encrypted.canaries)).toEqual([]);
    expect(missing(dump, runs.plain.canaries)).toEqual([]);
  });

  test('`dxp run` of the same name attaches, reading the encrypted spec back through the codec', async () => {
    const runDir = join(dir, 'cluster', `${runs.encrypted.name}-spec`);
    const spec = readFileSync(join(runDir, 'spec.yaml'), 'utf8');
    writeFileSync(join(runDir, 'spec-changed.yaml'), `${spec}concurrency: 3\n`);
    const result = await runDxp(['run', 'spec-changed.yaml'], { cwd: runDir, env: dxpEnv({ TEMPORAL_ADDRESS: cluster!.address, DXP_CODEC_KEYS: KEYS }) });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Attached to existing experiment ${runs.encrypted.name}`);
    expect(result.stderr).toContain('different spec (concurrency)');
  });

  test("a failed example's failure says only 'Encoded failure'; the plain run's says why", async () => {
    const failureOf = async (run: Run) => {
      const events = (await client.workflow.getHandle(exampleWorkflowId(run.name, 'refused-1', 1)).fetchHistory()).events ?? [];
      return events.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes?.failure;
    };
    const encrypted = await failureOf(runs.encrypted);
    expect(encrypted?.message).toBe('Encoded failure');
    expect(encrypted?.stackTrace ?? '').toBe('');
    expect(decodedText(encrypted?.encodedAttributes?.metadata?.encoding)).toBe('binary/encrypted');
    expect((await failureOf(runs.plain))?.message).toContain(runs.plain.canaries.failure);
  });

  test('the codec server decrypts the raw history: every canary is back', async () => {
    const ids = ['ok-1', 'refused-1'].map((id) => exampleWorkflowId(runs.encrypted.name, id, 1));
    const payloads = [...(await rawPayloads(client, experimentWorkflowId(runs.encrypted.name))), ...(await Promise.all(ids.map((id) => rawPayloads(client, id)))).flat()];
    expect(payloads.length).toBeGreaterThan(10);
    expect(payloads.filter((p) => decoded(p.metadata, 'encoding') !== 'binary/encrypted')).toEqual([]);
    expect(new Set(payloads.map((p) => decoded(p.metadata, 'encryption-key-id')))).toEqual(new Set(['k2']));
    const res = await fetch(`${codecServer.url}/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': cluster!.namespace, Authorization: `Bearer ${token}` },
      body: JSON.stringify({ payloads }),
    });
    expect(res.status).toBe(200);
    const plain = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    const text = Buffer.from(plain.payloads.map((p) => Buffer.from(p.data, 'base64').toString()).join('\n'));
    expect(missing(text, runs.encrypted.canaries)).toEqual([]);
    expect(plain.payloads.every((p) => decoded(p.metadata, 'encoding') !== 'binary/encrypted')).toBe(true);
  });

  test('so does the Temporal CLI with --codec-endpoint (its token in TEMPORAL_CODEC_AUTH); without, it shows none', async () => {
    const show = async (codec: boolean) => {
      const { stdout } = await promisify(execFile)(
        requireTemporalCli(),
        ['workflow', 'show', '--address', cluster!.address, '--workflow-id', exampleWorkflowId(runs.encrypted.name, 'ok-1', 1), '--output', 'json', ...(codec ? ['--codec-endpoint', codecServer.url] : [])],
        { env: { ...dxpEnv({}), ...(codec ? { TEMPORAL_CODEC_AUTH: `Bearer ${token}` } : {}) }, maxBuffer: 64 * 1024 * 1024 },
      );
      return Buffer.from(stdout);
    };
    expect(found(await show(false), runs.encrypted.canaries)).toEqual([]);
    const decodedHistory = await show(true);
    // A run that succeeded: its history has no failure.
    expect(missing(decodedHistory, runs.encrypted.canaries, ['input', 'expected', 'spec', 'output'])).toEqual([]);
  });
});

describe('on the dev server (SQLite)', () => {
  let server: DevServer | undefined;
  let dbFile: string;

  beforeAll(async () => {
    dbFile = join(dir, 'dev', 'temporal.db');
    spawnSync('mkdir', ['-p', join(dir, 'dev')]);
    server = await startTestServer({ dbFile });
    const workers = await Promise.all([startWorker(server.address, runs.encrypted, 'dev'), startWorker(server.address, runs.plain, 'dev')]);
    await Promise.all([runExperiment(server.address, runs.encrypted, 'dev'), runExperiment(server.address, runs.plain, 'dev')]);
    await Promise.all(workers.map((w) => w.stop()));
    // Stopped, so everything is in the files (the database and any write-ahead log beside it).
    await server.stop();
    server = undefined;
  }, 240_000);

  afterAll(() => server?.stop());

  test('the database files hold no canary of the encrypted run, and every canary of the plain one', () => {
    const files = readdirSync(join(dir, 'dev')).filter((f) => f.startsWith('temporal.db'));
    expect(files).toContain('temporal.db');
    const bytes = Buffer.concat(files.map((f) => readFileSync(join(dir, 'dev', f))));
    console.log(`SQLite files ${files.join(', ')}: ${(bytes.length / 1e6).toFixed(1)} MB`);
    expect(found(bytes, runs.encrypted.canaries)).toEqual([]);
    expect(missing(bytes, runs.plain.canaries)).toEqual([]);
  });
});

describe('an encrypting worker', () => {
  test('refuses a workflow bundle built without the encrypting failure converter', async () => {
    const server = await startTestServer();
    try {
      const started = startWorkerProcess({
        name: 'encrypting worker, plain bundle',
        address: server.address,
        taskQueue: 'at-rest-wrong-bundle',
        dataDir: join(dir, 'wrong-bundle'),
        workflowBundle: bundles.plain,
        ledger: join(dir, 'ledger.jsonl'),
        tasks: TASKS,
        env: { DXP_CODEC_KEYS: KEYS },
      });
      await expect(started).rejects.toThrow(/it exited[\s\S]*built without the encrypting failure converter/);
    } finally {
      await server.stop();
    }
  });
});

function decodedText(bytes: Uint8Array | null | undefined): string {
  return Buffer.from(bytes ?? new Uint8Array()).toString();
}
