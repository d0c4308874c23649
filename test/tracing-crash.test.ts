/**
 * A traced worker process SIGKILLed in the middle of a run's step; a second worker finishes it.
 * Read back from a real Phoenix: each run is still one trace with one root (the second worker
 * replays the first one's history into the same span ids), the step the crash cut is retried in
 * that same trace as attempt 2 under the one StartActivity span that covers both attempts, and the
 * run record names that trace.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import type { RunRecord } from '../core/records';
import { WORKFLOW_TRACING_MODULES } from '../workers/tracing';
import { projectSpans, startPhoenix, type PhoenixServer } from './helpers/phoenix';
import { killAllWorkerProcesses, readLedger, startWorkerProcess, stepsInFlight, waitFor } from './helpers/processes';
import { connectTestClient, startTestServer, tempDir, writeJsonl } from './helpers/temporal';


const project = 'dxp-trace-crash';
const EXAMPLES = 6;
let phoenix: PhoenixServer;
let server: DevServer;
let client: Client;
let dir: string;

beforeAll(async () => {
  dir = tempDir('dxp-tracing-crash-');
  [phoenix, server] = await Promise.all([startPhoenix(), startTestServer()]);
  client = await connectTestClient(server);
}, 240_000);

afterAll(async () => {
  await killAllWorkerProcesses();
  await client?.connection.close();
  await server?.stop();
  await phoenix?.stop();
});


test('a worker killed mid-step: the run is still one trace, with the retry as attempt 2 in it', async () => {
  const taskQueue = 'tracing-crash';
  const ledger = join(dir, 'ledger.jsonl');
  const bundlePath = join(dir, 'traced-workflows.js');
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), workflowInterceptorModules: WORKFLOW_TRACING_MODULES, logger: new DefaultLogger('WARN') });
  writeFileSync(bundlePath, bundle.code);
  const common = {
    address: server.address,
    namespace: server.namespace,
    taskQueue,
    dataDir: join(dir, 'store'),
    workflowBundle: bundlePath,
    ledger,
    env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: phoenix.tracesUrl, DXP_TRACE_PROJECT: project },
  };
  const workerA = await startWorkerProcess({ ...common, name: 'traced worker A' });
  const rows = Array.from({ length: EXAMPLES }, (_, i) => ({ id: `ex${i}`, input: i, ms: 1_500 }));
  const spec = parseSpec({
    name: 'traced-crash',
    dataset: { path: writeJsonl(dir, 'rows.jsonl', rows) },
    task: 'ledgered',
    concurrency: EXAMPLES,
    timeout: '4s',
    retry: { initialInterval: '200ms' },
    taskQueue,
  });
  const { handle } = await startExperiment(client, spec, taskQueue);

  // Kill A while step b runs: a, done before, stays done; b's first attempt is cut.
  const cut = await waitFor(() => stepsInFlight(readLedger(ledger)).filter((e) => e.step === 'b'), {
    timeoutMs: 60_000,
    describe: () => 'a step b in flight on worker A',
  });
  await workerA.kill();
  const workerB = await startWorkerProcess({ ...common, name: 'traced worker B' });
  expect(await handle.result()).toMatchObject({ runs: EXAMPLES, succeeded: EXAMPLES });
  await workerB.stop(); // SIGTERM: the worker flushes its span pipeline as it stops

  const records = readFileSync(join(dir, 'store', 'experiments', 'traced-crash', 'runs.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RunRecord);
  expect(records).toHaveLength(EXAMPLES);
  const cutIds = new Set(cut.map((e) => e.exampleId));
  let last = '';
  const spans = await waitFor(
    async () => {
      const all = await projectSpans(phoenix, project).catch((err: Error) => ((last = err.message), []));
      const roots = all.filter((s) => s.name === 'RunWorkflow:example' && s.parent_id === null);
      last = `${all.length} spans, ${roots.length} run roots`;
      return roots.length >= EXAMPLES ? all : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500, describe: () => `every run's root span in Phoenix (last: ${last})` },
  );

  for (const record of records) {
    const inRun = spans.filter((s) => s.context.trace_id === record.trace?.id);
    // One root per run: the root B ended is the one A started (replay gives it the same ids).
    expect(inRun.filter((s) => s.parent_id === null).map((s) => s.name)).toEqual(['RunWorkflow:example']);
    const steps = inRun.filter((s) => s.name.startsWith('step ')).map((s) => `${s.name}@${String(s.attributes['dxp.attempt'])}`);
    if (cutIds.has(record.exampleId)) {
      // The cut attempt died with A before its span ended; its retry ran on B, in this trace.
      expect(steps).toEqual(expect.arrayContaining(['step b@2', 'step c@1']));
      expect(steps).not.toContain('step b@1');
      expect(inRun.filter((s) => s.name === 'StartActivity:runTaskStep')).toHaveLength(3);
    } else {
      expect(steps).toEqual(expect.arrayContaining(['step c@1']));
    }
  }
}, 240_000);
