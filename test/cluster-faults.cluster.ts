/**
 * The production shape under faults (`npm run test:cluster`, run by .ci/run after `npm test`):
 * a real Temporal server on PostgreSQL, three `dxp worker` processes each with its own data
 * folder (as three machines would have), results in PostgreSQL, one experiment of 2,000
 * examples of a three-step task. During the run: a worker SIGKILLed, another drained with
 * SIGTERM and replaced, the Temporal server SIGKILLed and restarted, PostgreSQL crashed and
 * recovered (`pg_ctl restart -m immediate`). Then: every example has exactly one run in the
 * shared store, the summary equals a recount from the store, no completed step ran again
 * except around a fault (counted from the ledger), and no secret is anywhere in the database:
 * neither the workers' API keys nor, with payloads encrypted (DXP_CODEC_KEYS), the codec key or
 * the canary each dataset row carries.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { summarizeRuns } from '../activities/sinks';
import { dataConverterFromEnv, FAILURE_CONVERTER_PATH } from '../connection/codec/data-converter';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import type { ExperimentSummary } from '../core/records';
import { startTestCluster, storedRuns, type TestCluster } from './helpers/cluster';
import { formsFound } from './helpers/dump-search';
import {
  killAllWorkerProcesses,
  readLedger,
  sleep,
  startWorkerProcess,
  stepKey,
  stepsInFlight,
  stopwatch,
  waitFor,
  type LedgerEntry,
  type WorkerProcess,
} from './helpers/processes';
import { tempDir, writeJsonl } from './helpers/temporal';

const EXAMPLES = Number(process.env.DXP_CLUSTER_EXAMPLES ?? 2_000);
const NAME = 'cluster-faults';
const TASK_QUEUE = 'cluster-faults';
const STEPS = ['a', 'b', 'c'];
/** A step that ended this close before a fault may have lost its report: its re-run is the fault's. */
const MARGIN_MS = 3_000;
const SECRETS = { OPENAI_API_KEY: `sk-canary-${randomBytes(12).toString('hex')}`, ARIZE_API_KEY: `ak-canary-${randomBytes(12).toString('hex')}` };
const CODEC_KEY = randomBytes(32).toString('base64');
const CODEC_ENV = { DXP_CODEC_KEYS: `faults-1:${CODEC_KEY}` };
/** In every row, so in every example's input: encrypted, it must never reach the database. */
const ROW_CANARY = `row-canary-${randomBytes(12).toString('hex')}`;

let cluster: TestCluster | undefined;
let client: Client;
let dir: string;
const lap = stopwatch('cluster-faults');

beforeAll(async () => {
  dir = tempDir('dxp-cluster-faults-');
  cluster = await startTestCluster();
  lap(`cluster on ${cluster.address}, PostgreSQL on ${cluster.pgPort}`);
  const dataConverter = dataConverterFromEnv(CODEC_ENV)!;
  client = new Client({ connection: await Connection.connect({ address: cluster.address }), namespace: cluster.namespace, dataConverter });
}, 240_000);

afterAll(async () => {
  await killAllWorkerProcesses();
  await client?.connection.close();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** A time span in which a fault happened: re-runs of steps that ended inside it are its doing. */
interface Fault {
  what: string;
  from: number;
  to: number;
  /** The killed worker's pid, for the steps it had in flight. */
  pid?: number;
}

test(`${EXAMPLES} examples on three workers through a worker kill, a drain, a server kill and a PostgreSQL crash: each run once, nothing completed re-run`, async () => {
  const c = cluster!;
  // An encrypting worker needs a bundle built with the encrypting failure converter.
  const bundle = join(dir, 'workflows-encrypted.js');
  writeFileSync(bundle, (await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') })).code);
  const ledger = join(dir, 'ledger.jsonl');
  const machine = (m: string): Promise<WorkerProcess> =>
    startWorkerProcess({
      name: `worker ${m}`,
      address: c.address,
      namespace: c.namespace,
      taskQueue: TASK_QUEUE,
      dataDir: join(dir, `machine-${m}`),
      workflowBundle: bundle,
      ledger,
      shutdownGrace: '20s',
      env: { DXP_RESULTS_URL: c.resultsUrl, ...SECRETS, ...CODEC_ENV },
    });
  const workers = await Promise.all(['a', 'b', 'c'].map(machine));
  const rows = Array.from({ length: EXAMPLES }, (_, i) => ({ id: `ex${String(i).padStart(5, '0')}`, ms: 100, note: ROW_CANARY }));
  const spec = parseSpec({
    name: NAME,
    dataset: { path: writeJsonl(dir, 'rows.jsonl', rows) },
    task: 'ledgered',
    evaluators: ['json-parses'],
    concurrency: 60,
    flushEvery: 50,
    timeout: '10s',
    retry: { initialInterval: '500ms', maximumInterval: '5s' },
    taskQueue: TASK_QUEUE,
  });
  const { handle } = await startExperiment(client, spec, TASK_QUEUE);
  lap(`started ${handle.workflowId}`);

  const stored = (): number => {
    try {
      return Number(c.psql('dxp_results', `SELECT run_count FROM dxp_experiments WHERE experiment_id = '${NAME}'`)[0] ?? 0);
    } catch {
      return -1; // PostgreSQL restarting
    }
  };
  const reach = async (fraction: number): Promise<void> => {
    await waitFor(() => stored() >= EXAMPLES * fraction || undefined, { timeoutMs: 600_000, intervalMs: 500, describe: () => `stored ${stored()} of ${EXAMPLES}; ${workers.map((w) => w.describe()).join('; ')}` });
    lap(`${stored()} runs stored`);
  };
  const faults: Fault[] = [];

  // 1. A machine dies: SIGKILL, back 5 s later with its disk.
  await reach(0.1);
  await waitFor(() => stepsInFlight(readLedger(ledger)).some((e) => e.pid === workers[0]!.pid) || undefined, { timeoutMs: 30_000, describe: () => 'no step in flight on worker a' });
  const killedAt = await workers[0]!.kill();
  faults.push({ what: 'worker a SIGKILLed', from: killedAt - MARGIN_MS, to: killedAt + MARGIN_MS, pid: workers[0]!.pid });
  lap('worker a SIGKILLed');
  await sleep(5_000);
  workers.push(await machine('a2'));

  // 2. A planned restart: SIGTERM drains worker b (in-flight steps finish), a replacement joins.
  await reach(0.25);
  const drainFrom = Date.now();
  await workers[1]!.stop(60_000);
  const drained = workers[1]!.exit();
  lap(`worker b drained (exit ${drained?.code ?? drained?.signal}) in ${Date.now() - drainFrom} ms`);
  expect(drained).toEqual({ code: 0, signal: null });
  workers.push(await machine('b2'));

  // 3. The Temporal server dies and comes back.
  await reach(0.45);
  const serverFrom = Date.now();
  await c.restartServer({ kill: true });
  faults.push({ what: 'Temporal server SIGKILLed and restarted', from: serverFrom - MARGIN_MS, to: Date.now() + MARGIN_MS });
  lap(`server back after ${Date.now() - serverFrom} ms`);

  // 4. PostgreSQL crashes and recovers under everything.
  await reach(0.65);
  const pgFrom = Date.now();
  await c.restartPostgres();
  faults.push({ what: 'PostgreSQL restarted -m immediate', from: pgFrom - MARGIN_MS, to: Date.now() + MARGIN_MS });
  lap(`PostgreSQL back after ${Date.now() - pgFrom} ms`);

  const summary = await resultThroughFaults(handle.workflowId);
  lap(`finished: ${summary.runs} runs, ${summary.succeeded} succeeded, ${summary.failed} failed`);
  // The faults took no surviving worker down: c, and the replacements of a and b.
  expect(workers.slice(2).map((w) => [w.name, w.isRunning()])).toEqual(workers.slice(2).map((w) => [w.name, true]));

  // Exactly once in the shared store, and the summary is a recount of it.
  const runs = await storedRuns(c.resultsUrl, NAME);
  expect(runs).toHaveLength(EXAMPLES);
  expect(new Set(runs.map((r) => r.exampleId))).toEqual(new Set(rows.map((r) => r.id)));
  expect(runs.filter((r) => r.error)).toEqual([]);
  const recount = summarizeRuns(runs, { experimentId: summary.experimentId, name: summary.name, status: summary.status, location: summary.location, startedAt: summary.startedAt, finishedAt: summary.finishedAt });
  expect(summary).toMatchObject(recount);
  expect(summary).toMatchObject({ runs: EXAMPLES, succeeded: EXAMPLES, failed: 0 });
  // No run was written anywhere but the shared store.
  expect(c.psql('dxp_results', 'SELECT count(*) FROM dxp_runs')).toEqual([String(EXAMPLES)]);

  // Side effects: every step ran to its end; a completed step ran again only around a fault.
  const entries = readLedger(ledger);
  const byStep = new Map<string, LedgerEntry[]>();
  for (const e of entries) byStep.set(stepKey(e), [...(byStep.get(stepKey(e)) ?? []), e]);
  const missing = rows.flatMap((r) => STEPS.map((s) => `${r.id}/1/${s}`)).filter((k) => !byStep.get(k)?.some((e) => e.event === 'end'));
  expect(missing).toEqual([]);
  const unexplained: string[] = [];
  const perFault = new Map<string, number>(faults.map((f) => [f.what, 0]));
  let inFlightAtKill = 0;
  for (const [key, list] of byStep) {
    const starts = list.filter((e) => e.event === 'start');
    if (starts.length <= 1) continue;
    // Every start after the first is a re-run: the earlier attempt was cut short or its end was lost.
    const first = starts[0]!;
    const firstEnd = list.find((e) => e.event === 'end' && e.pid === first.pid && e.t >= first.t);
    const fault = faults.find((f) =>
      firstEnd === undefined
        ? f.pid === first.pid || (first.t <= f.to && first.t + 30_000 >= f.from) // cut mid-flight by the kill, or its attempt timed out across an outage
        : firstEnd.t >= f.from && firstEnd.t <= f.to,
    );
    if (!fault) unexplained.push(`${key}: ${JSON.stringify(list)}`);
    else if (firstEnd === undefined && fault.pid === first.pid) inFlightAtKill++;
    else perFault.set(fault.what, perFault.get(fault.what)! + 1);
  }
  lap(
    `ledger: ${entries.filter((e) => e.event === 'start').length} starts, ${entries.filter((e) => e.event === 'end').length} ends; ` +
      `re-runs: ${inFlightAtKill} in flight at the worker kill, ${[...perFault].map(([f, n]) => `${n} around "${f}"`).join(', ')}`,
  );
  expect(unexplained).toEqual([]);
  // The drained worker finished what it had: no step of its ran twice.
  const drainedPid = workers[1]!.pid;
  const drainedReRuns = [...byStep.values()].filter((list) => {
    const end = list.find((e) => e.pid === drainedPid && e.event === 'end');
    return end !== undefined && list.some((e) => e.event === 'start' && e.t > end.t);
  });
  expect(drainedReRuns).toEqual([]);

  // The secrets and the rows' canary are nowhere in the database (history, visibility, results),
  // as text, as bytea hex, nor as base64.
  const dump = c.dumpAll();
  for (const [name, secret] of Object.entries({ ...SECRETS, CODEC_KEY, ROW_CANARY })) {
    expect({ name, found: formsFound(dump, secret) }).toEqual({ name, found: [] });
  }
  // The search finds what is there: a stored output (text) and an activity type, which only
  // history blobs hold (bytea, so hex).
  expect(formsFound(dump, `c:${rows[7]!.id}`)).toContain('text');
  expect(formsFound(dump, 'runTaskStep')).toContain('hex');
}, 1_800_000);

/** The experiment's result, asked again while the server or PostgreSQL is away. */
async function resultThroughFaults(workflowId: string): Promise<ExperimentSummary> {
  return waitFor(
    async () => {
      try {
        return (await client.workflow.getHandle(workflowId).result()) as ExperimentSummary;
      } catch (err) {
        if (err instanceof WorkflowFailedError) throw err;
        return undefined; // unavailable: ask again
      }
    },
    { timeoutMs: 1_200_000, intervalMs: 2_000, describe: () => `${workflowId} did not finish` },
  );
}
