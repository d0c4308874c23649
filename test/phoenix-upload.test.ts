/**
 * The Phoenix upload on its own against a real Phoenix server: 1,000 runs and their evaluations
 * into one experiment, the throughput measured; sent again (a retry that knows no experiment id),
 * Phoenix keeps them as they are: the experiment adopted, nothing stored twice. And `dxp upload`,
 * for runs kept only in the results store (Phoenix was down): sent once, however often it runs.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createPhoenixClient, uploadPhoenixRuns } from '../activities/phoenix';
import { createLocalStore } from '../activities/sinks';
import { parseSpec } from '../client/spec-file';
import type { RunRecord } from '../core/records';
import { experimentWorkflowId } from '../workflows/experiment-contract';
import { dxpEnv, runDxp } from './helpers/cli';
import { startPhoenix, type PhoenixServer } from './helpers/phoenix';
import { tempDir } from './helpers/temporal';

const N = 1000;
let phoenix: PhoenixServer;
let datasetId: string;

beforeAll(async () => {
  phoenix = await startPhoenix();
  const inputs = Array.from({ length: N }, (_, i) => ({ text: `q-${i}` }));
  datasetId = (await phoenix.post<{ data: { dataset_id: string } }>('/v1/datasets/upload?sync=true', { action: 'create', name: 'questions', inputs, outputs: inputs })).data.dataset_id;
}, 180_000);

afterAll(async () => {
  await phoenix?.stop();
});

interface ExportedRun {
  example_id: string;
  output: unknown;
  annotations: { name: string; score: number | null }[];
}

test('the uploader sends 1,000 runs with their evaluations once: sent again, Phoenix keeps them as they are', async () => {
  const phoenixClient = createPhoenixClient({ baseUrl: phoenix.baseUrl });
  try {
    const versionId = (await phoenixClient.listVersions(datasetId))[0]!;
    const examples = await phoenixClient.listExamples(datasetId, versionId);
    expect(examples).toHaveLength(N);
    const runs: RunRecord[] = examples.map((ex, k) => ({
      exampleId: ex.id,
      repetition: 1,
      output: { k },
      ...(k % 250 === 0 ? { error: 'failed on purpose', output: null } : {}),
      evaluations: { size: { score: k } },
      steps: [],
      startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, k % 60)).toISOString(),
      durationMs: 20,
      workflowId: `w-${k}`,
    }));
    const input = { experimentName: 'direct', datasetId, versionId, repetitions: 1, ownerWorkflowId: 'experiment/direct', runs };
    const t0 = Date.now();
    const first = await uploadPhoenixRuns(phoenixClient, input);
    const firstMs = Date.now() - t0;
    expect(first).toMatchObject({ appended: N, alreadyStored: 0 });
    // A retry that knows no experiment id: it adopts ours rather than make a second one.
    const again = await uploadPhoenixRuns(phoenixClient, input);
    expect(again).toEqual({ phoenixExperimentId: first.phoenixExperimentId, appended: 4, alreadyStored: N - 4 }); // failed runs are updated in place
    const stored = await phoenixClient.listRuns(first.phoenixExperimentId);
    expect(stored).toHaveLength(N);
    expect(new Set(stored.map((r) => r.dataset_example_id)).size).toBe(N);
    const exported = await phoenix.get<ExportedRun[]>(`/v1/experiments/${first.phoenixExperimentId}/json`);
    expect(exported.flatMap((r) => r.annotations)).toHaveLength(N);
    process.stdout.write(`phoenix upload: ${N} runs + ${N} evaluations in ${(firstMs / 1000).toFixed(1)} s (${Math.round(N / (firstMs / 1000))} runs/s)\n`);
  } finally {
    await phoenixClient.close();
  }
}, 5 * 60_000);

test('dxp upload sends runs kept only in the results store to Phoenix once, however often it runs', async () => {
  const dir = tempDir('dxp-phoenix-upload-');
  const phoenixClient = createPhoenixClient({ baseUrl: phoenix.baseUrl });
  const examples = await phoenixClient.listExamples(datasetId, (await phoenixClient.listVersions(datasetId))[0]!);
  await phoenixClient.close();
  // What a worker stored while Phoenix was down: 300 runs, each with one evaluation.
  const store = createLocalStore(join(dir, 'store'));
  const spec = parseSpec({ name: 'px-offline', dataset: { phoenix: { dataset: 'questions' } }, task: 'echo', evaluators: ['exact-match'] });
  await store.open({ experimentId: 'px-offline', name: 'px-offline', spec, startedAt: new Date().toISOString(), workflowId: experimentWorkflowId('px-offline') });
  const runs: RunRecord[] = examples.slice(0, 300).map((ex, k) => ({
    exampleId: ex.id,
    repetition: 1,
    output: ex.input,
    evaluations: { 'exact-match': { score: 1, label: 'True' } },
    steps: [],
    startedAt: new Date().toISOString(),
    durationMs: k,
    workflowId: `${experimentWorkflowId('px-offline')}/example/${ex.id}/rep/1`,
  }));
  await store.append('px-offline', runs);
  await store.close();
  expect(readdirSync(join(dir, 'store', 'experiments'))).toEqual(['px-offline']);

  const env = dxpEnv({ DXP_DATA_DIR: join(dir, 'store'), PHOENIX_BASE_URL: phoenix.baseUrl });
  const first = await runDxp(['upload', 'px-offline'], { cwd: dir, env });
  expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
  expect(first.stdout).toMatch(/: 300 runs sent, 0 already there/);
  const again = await runDxp(['upload', 'px-offline'], { cwd: dir, env });
  expect(again.stdout).toMatch(/: 0 runs sent, 300 already there/);

  const experiments = (await phoenix.get<{ data: { id: string; name: string; metadata: Record<string, unknown> }[] }>(`/v1/datasets/${datasetId}/experiments`)).data.filter((e) => e.name === 'px-offline');
  expect(experiments).toHaveLength(1);
  expect(experiments[0]!.metadata['dxp.workflow_id']).toBe(experimentWorkflowId('px-offline'));
  const exported = await phoenix.get<ExportedRun[]>(`/v1/experiments/${experiments[0]!.id}/json`);
  expect(exported).toHaveLength(300);
  expect(new Set(exported.map((r) => r.example_id))).toEqual(new Set(runs.map((r) => r.exampleId)));
  expect(exported.every((r) => r.annotations.length === 1 && r.annotations[0]!.score === 1)).toBe(true);

  // Without PHOENIX_BASE_URL it says what is missing.
  const unset = await runDxp(['upload', 'px-offline'], { cwd: dir, env: dxpEnv({ DXP_DATA_DIR: join(dir, 'store') }) });
  expect(unset.code).toBe(2);
  expect(unset.stderr).toContain('set PHOENIX_BASE_URL');
}, 3 * 60_000);
