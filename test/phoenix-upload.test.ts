/**
 * The Phoenix upload on its own against a real Phoenix server: 1,000 runs and their evaluations
 * into one experiment, the throughput measured; sent again (a retry that knows no experiment id),
 * Phoenix keeps them as they are: the experiment adopted, nothing stored twice.
 */
import { createPhoenixClient, uploadPhoenixRuns } from '../activities/phoenix';
import type { RunRecord } from '../core/records';
import { startPhoenix, type PhoenixServer } from './helpers/phoenix';

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
  annotations: unknown[];
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
