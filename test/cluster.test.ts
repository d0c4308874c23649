/**
 * The real Temporal server on PostgreSQL (scripts/cluster.sh, `npm run cluster`): a `dxp worker`
 * process and `dxp run --wait` against it, and the runs found where they must be: in
 * PostgreSQL's history and visibility tables, and through visibility queries on the Dxp* search
 * attributes. Needs `npm run setup` (it builds the server); a missing binary fails, never skips.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { parse } from 'yaml';
import type { ExperimentSummary } from '../core/records';
import { runDxp } from './helpers/cli';
import { startTestCluster, type TestCluster } from './helpers/cluster';
import { killAllWorkerProcesses, PROJECT_ROOT, startWorkerProcess, type WorkerProcess } from './helpers/processes';
import { tempDir, workflowBundleFile, writeJsonl } from './helpers/temporal';

const EXAMPLES = 20;
const NAME = 'cluster-smoke';
const TASK_QUEUE = 'cluster-smoke';
let cluster: TestCluster | undefined;
let worker: WorkerProcess;
let client: Client;
let dir: string;

beforeAll(async () => {
  dir = tempDir('dxp-cluster-test-');
  const t0 = Date.now();
  cluster = await startTestCluster();
  console.log(`cluster on ${cluster.address} (PostgreSQL on ${cluster.pgPort}) up in ${Date.now() - t0} ms`);
  client = new Client({ connection: await Connection.connect({ address: cluster.address }), namespace: cluster.namespace });
  worker = await startWorkerProcess({
    name: 'cluster worker',
    address: cluster.address,
    namespace: cluster.namespace,
    taskQueue: TASK_QUEUE,
    dataDir: join(dir, 'store'),
    workflowBundle: await workflowBundleFile(),
    ledger: join(dir, 'ledger.jsonl'),
  });
}, 240_000);

afterAll(async () => {
  await killAllWorkerProcesses();
  await client?.connection.close();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 90_000);

test('it is the same server version as docker-compose.yml', () => {
  const script = readFileSync(join(PROJECT_ROOT, 'scripts', 'cluster.sh'), 'utf8');
  const version = /TEMPORAL_SERVER_VERSION="\$\{TEMPORAL_SERVER_VERSION:-([\d.]+)\}"/.exec(script)?.[1];
  expect(version).toBeDefined();
  const setup = readFileSync(join(PROJECT_ROOT, 'scripts', 'setup.sh'), 'utf8');
  expect(setup).toContain(`TEMPORAL_SERVER_VERSION="\${TEMPORAL_SERVER_VERSION:-${version}}"`);
  const compose = parse(readFileSync(join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { image?: string }> };
  const temporalImages = Object.values(compose.services)
    .map((s) => s.image ?? '')
    .filter((image) => /^temporalio\/(server|admin-tools):/.test(image));
  expect(temporalImages.length).toBeGreaterThanOrEqual(2);
  for (const image of temporalImages) expect(image).toContain(`:-${version}}`);
});

test('dxp run --wait against the cluster: the summary, and every run in PostgreSQL', async () => {
  const rows = Array.from({ length: EXAMPLES }, (_, i) => ({ id: `ex${String(i).padStart(2, '0')}`, ms: 50 }));
  writeJsonl(dir, 'rows.jsonl', rows);
  const spec = join(dir, 'spec.yaml');
  writeFileSync(
    spec,
    [`name: ${NAME}`, 'dataset: { path: rows.jsonl }', 'task: ledgered', 'evaluators: [length]', 'concurrency: 5', `taskQueue: ${TASK_QUEUE}`].join('\n') + '\n',
  );
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('TEMPORAL_') && !key.startsWith('DXP_')) env[key] = value;
  const result = await runDxp(['run', spec, '--wait', '--json'], {
    cwd: dir,
    env: { ...env, TEMPORAL_ADDRESS: cluster!.address, TEMPORAL_NAMESPACE: cluster!.namespace },
  });
  if (result.code !== 0) throw new Error(`dxp run exited ${result.code}: ${result.stderr}\n${result.stdout}\n${worker.describe()}`);
  // "Started experiment ..." lines, then the summary as JSON.
  const summary = JSON.parse(result.stdout.slice(result.stdout.indexOf('\n{') + 1)) as ExperimentSummary;
  expect(result.stdout).toContain(`Started experiment ${NAME}`);
  expect(summary).toMatchObject({ name: NAME, status: 'completed', runs: EXAMPLES, succeeded: EXAMPLES, failed: 0, failures: [] });
  // ledgered returns 'c:<id>': 6 characters.
  expect(summary.evaluators.length).toMatchObject({ meanScore: 6, scored: EXAMPLES, errors: 0 });

  // History: every example workflow's mutable state and events are in the `temporal` database.
  const like = `experiment/${NAME}/example/%`;
  const inHistory = cluster!.psql('temporal', `SELECT DISTINCT workflow_id FROM executions WHERE workflow_id LIKE '${like}' ORDER BY 1`);
  expect(inHistory).toHaveLength(EXAMPLES);
  expect(inHistory).toEqual(rows.map((r) => expect.stringContaining(`/example/${r.id}/`) as string));
  expect(Number(cluster!.psql('temporal', 'SELECT count(*) FROM history_node')[0])).toBeGreaterThan(EXAMPLES * 5);

  // Visibility: closed, completed (status 2), with the Dxp* search attributes (stored under the
  // namespace's column aliases, e.g. Keyword01), in `temporal_visibility`.
  const visible = cluster!.psql(
    'temporal_visibility',
    `SELECT workflow_id, status, search_attributes::text FROM executions_visibility WHERE workflow_id LIKE '${like}' ORDER BY 1`,
  );
  expect(visible).toHaveLength(EXAMPLES);
  for (const line of visible) {
    expect(line).toMatch(/^[^|]+\|2\|/);
    expect(line).toContain(`"${NAME}"`);
    expect(line).toMatch(/"ex\d\d"/);
  }

  // And through the frontend's visibility queries, as the Temporal UI asks.
  const listed: string[] = [];
  for await (const wf of client.workflow.list({ query: `DxpExperiment = "${NAME}" AND WorkflowType = "example" AND ExecutionStatus = "Completed"` })) {
    listed.push(wf.workflowId);
  }
  expect(listed.sort()).toEqual(inHistory);
  expect(worker.isRunning()).toBe(true);
}, 120_000);
