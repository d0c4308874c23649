/**
 * `dxp pause` and `dxp resume` across everything going down: an experiment is paused mid-way (the
 * examples in flight finish, no new one starts, the Temporal UI's current details say who paused
 * it and since when), then its worker is SIGKILLed and the server SIGKILLed and restarted on its
 * database; a new worker starts nothing while it stays paused; `dxp resume` carries on, and every
 * example is stored exactly once with no step run twice.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { freePort, type DevServer } from '../client/dev-server';
import { getExperimentHandle, startExperiment } from '../client/experiments';
import { pauseExperiment } from '../client/operate';
import { parseSpec } from '../client/spec-file';
import type { RunRecord } from '../core/records';
import { dxpEnv, runDxp } from './helpers/cli';
import { killAllWorkerProcesses, readLedger, startWorkerProcess, stepsInFlight, waitFor } from './helpers/processes';
import { connectTestClient, startTestServer, tempDir, workflowBundleFile, writeJsonl } from './helpers/temporal';

const EXAMPLES = 24;
let dir: string;
const servers: DevServer[] = [];
const clients: Client[] = [];

beforeAll(() => {
  dir = tempDir('dxp-pause-');
});

afterAll(async () => {
  await killAllWorkerProcesses();
  for (const c of clients) await c.connection.close().catch(() => undefined);
  for (const s of servers) await s.stop();
});

test('paused, everything killed and restarted, resumed: nothing lost, nothing run twice, nothing started while paused', async () => {
  const taskQueue = 'pause-resume';
  const ledger = join(dir, 'ledger.jsonl');
  const dbFile = join(dir, 'temporal.db');
  const port = await freePort();
  const [bundle, first] = await Promise.all([workflowBundleFile(), startTestServer({ port, dbFile })]);
  servers.push(first);
  const client = await connectTestClient(first);
  clients.push(client);
  const common = { address: first.address, namespace: first.namespace, taskQueue, dataDir: join(dir, 'store'), workflowBundle: bundle, ledger };
  const workerA = await startWorkerProcess({ ...common, name: 'worker A' });
  const rows = Array.from({ length: EXAMPLES }, (_, i) => ({ id: `ex${String(i).padStart(2, '0')}`, input: i, ms: 250 }));
  const spec = parseSpec({ name: 'paused', dataset: { path: writeJsonl(dir, 'rows.jsonl', rows) }, task: 'ledgered', concurrency: 3, taskQueue });
  const { handle } = await startExperiment(client, spec, taskQueue);
  const dxp = (args: string[], address: string) => runDxp(args, { cwd: dir, env: dxpEnv({ TEMPORAL_ADDRESS: address, DXP_DATA_DIR: join(dir, 'store') }) });

  await waitFor(() => readLedger(ledger).filter((e) => e.event === 'end' && e.step === 'c').length >= 4, { timeoutMs: 60_000, describe: () => '4 examples done' });
  const paused = await dxp(['pause', 'paused', '--reason', 'deploying a fix'], first.address);
  expect(paused.code).toBe(0);
  expect(paused.stdout).toMatch(/Experiment paused is paused \(by \S+@\S+, since \S+: deploying a fix\)/);

  // The examples in flight finish; then nothing starts.
  const startedExamples = () => new Set(readLedger(ledger).filter((e) => e.event === 'start').map((e) => e.exampleId));
  await waitFor(() => stepsInFlight(readLedger(ledger)).length === 0 && readLedger(ledger).filter((e) => e.event === 'start').length === readLedger(ledger).filter((e) => e.event === 'end').length, {
    timeoutMs: 30_000,
    describe: () => 'the examples in flight at the pause to finish',
  });
  await new Promise((r) => setTimeout(r, 1_500));
  const atPause = startedExamples();
  expect(atPause.size).toBeLessThan(EXAMPLES);
  const status = await dxp(['status', 'paused'], first.address);
  expect(status.stdout).toMatch(/paused by \S+ since \S+ \(deploying a fix\)/);
  // The Temporal UI's "current details" of the experiment (its User Metadata tab).
  const metadata = (await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata')) as { currentDetails: string };
  expect(metadata.currentDetails).toMatch(/\*\*paused\*\*: paused \(by \S+@\S+, since .*: deploying a fix\)/);
  // Pausing again keeps the first pause.
  const again = await pauseExperiment(client, 'paused', { by: 'someone-else', reason: 'other' });
  expect(again.pause).toMatchObject({ reason: 'deploying a fix' });
  expect(again.pause?.by).not.toBe('someone-else');

  // Everything goes down: the worker, then the server; both come back.
  await workerA.kill();
  await first.kill();
  const second = await startTestServer({ port, dbFile });
  servers.push(second);
  await startWorkerProcess({ ...common, name: 'worker B' });
  await new Promise((r) => setTimeout(r, 4_000));
  expect(startedExamples()).toEqual(atPause); // still paused: the new worker starts nothing

  const resumed = await dxp(['resume', 'paused'], second.address);
  expect(resumed.code).toBe(0);
  expect(resumed.stdout).toContain('Experiment paused is running again');
  const client2 = await connectTestClient(second);
  clients.push(client2);
  const summary = await getExperimentHandle(client2, 'paused').result();
  expect(summary).toMatchObject({ runs: EXAMPLES, succeeded: EXAMPLES, failed: 0 });

  const runs = readFileSync(join(dir, 'store', 'experiments', 'paused', 'runs.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunRecord);
  expect(runs).toHaveLength(EXAMPLES);
  expect(new Set(runs.map((r) => r.exampleId)).size).toBe(EXAMPLES);
  // No step ran twice: nothing was in flight when the worker died.
  const starts = readLedger(ledger).filter((e) => e.event === 'start').map((e) => `${e.exampleId}/${e.step}`);
  expect(starts).toHaveLength(EXAMPLES * 3);
  expect(new Set(starts).size).toBe(EXAMPLES * 3);

  // A finished experiment takes no pause: exit 2, saying so.
  const late = await dxp(['pause', 'paused'], second.address);
  expect(late.code).toBe(2);
  expect(late.stderr).toMatch(/no running experiment paused|is not running/);
}, 240_000);
