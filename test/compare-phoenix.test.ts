/**
 * `dxp compare` and `dxp report` on Phoenix experiments, by id, on a real Phoenix server: two
 * experiments on one dataset, uploaded by dxp's own Phoenix uploader, read back through the CLI
 * (and one of them, by name, from the results store beside the other from Phoenix).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPhoenixClient, uploadPhoenixRuns } from '../activities/phoenix';
import { createLocalStore } from '../activities/sinks';
import type { Comparison } from '../client/compare/compare';
import { recordOfPhoenixRun } from '../client/phoenix-experiment';
import type { RunRecord } from '../core/records';
import { dxpEnv, runDxp } from './helpers/cli';
import { startPhoenix, type PhoenixServer } from './helpers/phoenix';
import { tempDir } from './helpers/temporal';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

let phoenix: PhoenixServer;
let dir: string;
let ids: string[];
let baseId: string;
let candId: string;

/** Example k (0-based) passes unless listed; `failed` ones are task errors. */
function runs(exampleIds: string[], wrong: number[], failed: number[] = []): RunRecord[] {
  return exampleIds.map((exampleId, k) => ({
    exampleId,
    repetition: 1,
    output: failed.includes(k) ? null : `answer ${k}`,
    ...(failed.includes(k) ? { error: `failed on ${k}` } : {}),
    evaluations: { correct: { score: wrong.includes(k) || failed.includes(k) ? 0 : 1, label: wrong.includes(k) || failed.includes(k) ? 'no' : 'yes' } },
    steps: [],
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, k)).toISOString(),
    durationMs: 100 * (k + 1),
    workflowId: `experiment/px/example/${exampleId}/rep/1`,
    ...(k === 9 ? { trace: { id: TRACE, timestamp: Date.UTC(2026, 0, 1) } } : {}),
  }));
}

beforeAll(async () => {
  dir = tempDir('dxp-compare-phoenix-');
  phoenix = await startPhoenix();
  const inputs = Array.from({ length: 10 }, (_, k) => ({ question: `q${k}` }));
  const datasetId = (await phoenix.post<{ data: { dataset_id: string } }>('/v1/datasets/upload?sync=true', { action: 'create', name: 'compare', inputs, outputs: inputs })).data.dataset_id;
  const client = createPhoenixClient({ baseUrl: phoenix.baseUrl });
  try {
    const versionId = (await client.listVersions(datasetId))[0]!;
    ids = (await client.listExamples(datasetId, versionId)).map((e) => e.id);
    const upload = (name: string, records: RunRecord[]) =>
      uploadPhoenixRuns(client, { experimentName: name, datasetId, versionId, repetitions: 1, ownerWorkflowId: `experiment/${name}`, runs: records });
    // base: 8 of 10 right. cand: example 1 breaks, 8 is fixed, 4 fails its task.
    const base = runs(ids, [8, 9]);
    baseId = (await upload('px-base', base)).phoenixExperimentId;
    candId = (await upload('px-cand', runs(ids, [1, 9], [4]))).phoenixExperimentId;
    // base also in the results store, by name.
    const store = createLocalStore(join(dir, 'store'));
    await store.open({ experimentId: 'px-base', name: 'px-base', spec: {}, startedAt: '2026-01-01T00:00:00.000Z', workflowId: 'experiment/px-base' });
    await store.append('px-base', base);
  } finally {
    await client.close();
  }
});

afterAll(async () => {
  await phoenix?.stop();
});

test('dxp compare of two Phoenix experiments by id: the flips, the new failure, the sign', async () => {
  const env = dxpEnv({ PHOENIX_BASE_URL: phoenix.baseUrl, DXP_DATA_DIR: join(dir, 'empty') });
  const out = await runDxp(['compare', baseId, candId, '--json', '--fail-on-regression'], { cwd: dir, env });
  expect(out.stderr).toBe('');
  expect(out.code).toBe(1); // the new task failure
  const c = JSON.parse(out.stdout) as Comparison;
  expect(c.a.name).toBe(`px-base (${baseId})`);
  expect(c.b).toEqual({ name: `px-cand (${candId})`, runs: 10, examples: 10, failedRuns: 1 });
  const correct = c.evaluators.find((e) => e.name === 'correct')!;
  expect(correct).toMatchObject({ paired: 10, meanA: 0.8, meanB: 0.7 });
  expect(correct.difference).toBeCloseTo(-0.1, 10);
  expect(correct.flips.regressed.map((p) => p.exampleId).sort()).toEqual([ids[1], ids[4]].sort());
  expect(correct.flips.fixed.map((p) => p.exampleId)).toEqual([ids[8]]);
  expect(c.failures).toEqual({ newFailures: [ids[4]], fixedFailures: [] });
  // Phoenix's latency is the run's end minus its start.
  expect(c.latency.a.mean).toBe(550);
});

test('a stored experiment by name against a Phoenix one by id; a Phoenix id that does not exist exits 2', async () => {
  const env = dxpEnv({ PHOENIX_BASE_URL: phoenix.baseUrl, DXP_DATA_DIR: join(dir, 'store') });
  const mixed = await runDxp(['compare', 'px-base', candId, '--json'], { cwd: dir, env });
  expect(mixed.code).toBe(0);
  const c = JSON.parse(mixed.stdout) as Comparison;
  expect(c.a.name).toBe('px-base');
  expect(c.commonExamples).toBe(10);
  expect(c.evaluators[0]!.flips.fixed.map((p) => p.exampleId)).toEqual([ids[8]]);
  const missing = await runDxp(['compare', 'px-base', 'RXhwZXJpbWVudDo5OTk='], { cwd: dir, env });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("no Phoenix experiment with id 'RXhwZXJpbWVudDo5OTk='");
});

test('dxp report of a Phoenix experiment links the trace to Phoenix and has no workflow links', async () => {
  const file = join(dir, 'px.html');
  const env = dxpEnv({ PHOENIX_BASE_URL: phoenix.baseUrl, DXP_DATA_DIR: join(dir, 'empty'), TEMPORAL_UI_URL: 'http://ui.test' });
  const out = await runDxp(['report', baseId, '--vs', candId, '--out', file], { cwd: dir, env });
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  const html = readFileSync(file, 'utf8');
  // No project "dxp" in this Phoenix yet: the link names it.
  expect(html).toContain(`<a href="${phoenix.baseUrl}/projects/dxp/traces/${TRACE}">${TRACE}</a>`);
  expect(html).not.toContain('http://ui.test');

  // Once the project exists, the link uses its id, as Phoenix's own UI addresses projects.
  const project = await phoenix.post<{ data: { id: string; name: string } }>('/v1/projects', { name: 'dxp' });
  const again = await runDxp(['report', baseId, '--out', file], { cwd: dir, env });
  expect(again.code).toBe(0);
  expect(readFileSync(file, 'utf8')).toContain(`<a href="${phoenix.baseUrl}/projects/${project.data.id}/traces/${TRACE}">${TRACE}</a>`);
});

test('a Phoenix run maps to a run record: evaluations without nulls, error, latency, trace', () => {
  expect(
    recordOfPhoenixRun({
      example_id: 'ex', repetition_number: 2, input: {}, reference_output: {}, output: null, error: 'boom', latency_ms: null,
      start_time: '2026-01-01T00:00:00.000Z', end_time: '2026-01-01T00:00:01.500Z', trace_id: TRACE,
      annotations: [{ name: 'q', score: 0, label: null, explanation: 'no', error: null }],
    }),
  ).toEqual({
    exampleId: 'ex', repetition: 2, output: null, error: 'boom', evaluations: { q: { score: 0, explanation: 'no' } }, steps: [],
    startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1500, workflowId: '', trace: { id: TRACE, timestamp: Date.parse('2026-01-01T00:00:00.000Z') },
  });
});
