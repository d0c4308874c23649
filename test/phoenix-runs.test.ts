/** RunRecord → Phoenix run and evaluations, and Phoenix's settings: pure functions, no server. */
import { toPhoenixEvaluations, toPhoenixRun } from '../activities/phoenix/runs';
import { phoenixConfigFromEnv } from '../activities/phoenix/config';
import { isPhoenixId } from '../activities/phoenix/client';
import type { RunRecord } from '../core/records';
import { formatSummary } from '../client/format';

function record(extra: Partial<RunRecord> = {}): RunRecord {
  return {
    exampleId: 'RGF0YXNldEV4YW1wbGU6MQ==',
    repetition: 2,
    output: { answer: 42 },
    evaluations: {},
    steps: [],
    startedAt: '2026-01-02T03:04:05.000Z',
    durationMs: 1500,
    workflowId: 'experiment/x/example/1/rep/2',
    ...extra,
  };
}

test('a successful run keeps its example, repetition, JSON output and its start and end', () => {
  expect(toPhoenixRun(record())).toEqual({
    dataset_example_id: 'RGF0YXNldEV4YW1wbGU6MQ==',
    output: { answer: 42 },
    repetition_number: 2,
    start_time: '2026-01-02T03:04:05.000Z',
    end_time: '2026-01-02T03:04:06.500Z',
  });
});

test('a failed run carries its error and a null output; a trace, when recorded, its trace id', () => {
  const failed = toPhoenixRun(record({ output: undefined, error: 'step plan: boom' }));
  expect(failed).toMatchObject({ output: null, error: 'step plan: boom' });
  expect(failed).not.toHaveProperty('trace_id');
  const traced = record({ trace: { id: '0af7651916cd43dd8448eb211c80319c', timestamp: 1 }, evaluations: { exact: { score: 1 } } });
  expect(toPhoenixRun(traced).trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
  // Its evaluators ran in that trace.
  expect(toPhoenixEvaluations(traced, 'run-1', new Set())[0]?.trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
});

test('evaluations: score, label and explanation as the result; an errored evaluator as error; LLM columns as LLM', () => {
  const run = record({
    evaluations: {
      exact: { score: 1, label: 'True' },
      judge: { score: 0.5, label: 'partial', explanation: 'half right', metadata: { model: 'm' } },
      broken: { error: 'evaluator threw: nope' },
    },
  });
  const byName = Object.fromEntries(toPhoenixEvaluations(run, 'run-1', new Set(['judge'])).map((e) => [e.name, e]));
  const at = '2026-01-02T03:04:06.500Z';
  expect(byName.exact).toEqual({ experiment_run_id: 'run-1', name: 'exact', annotator_kind: 'CODE', start_time: at, end_time: at, result: { score: 1, label: 'True' } });
  expect(byName.judge).toMatchObject({ annotator_kind: 'LLM', result: { score: 0.5, label: 'partial', explanation: 'half right' }, metadata: { model: 'm' } });
  expect(byName.broken).toEqual({ experiment_run_id: 'run-1', name: 'broken', annotator_kind: 'CODE', start_time: at, end_time: at, error: 'evaluator threw: nope' });
  expect(byName.broken).not.toHaveProperty('result');
});

test('PHOENIX_BASE_URL (or a PHOENIX_HOST that is a URL) names the server; PHOENIX_API_KEY is its bearer token', () => {
  expect(phoenixConfigFromEnv({})).toBeUndefined();
  // On a Phoenix server PHOENIX_HOST is a bind address: not a URL, not ours.
  expect(phoenixConfigFromEnv({ PHOENIX_HOST: '127.0.0.1' })).toBeUndefined();
  expect(phoenixConfigFromEnv({ PHOENIX_HOST: 'http://px:6006/' })).toEqual({ baseUrl: 'http://px:6006' });
  expect(phoenixConfigFromEnv({ PHOENIX_BASE_URL: 'https://px.example/phoenix', PHOENIX_HOST: 'http://other', PHOENIX_API_KEY: ' k ' })).toEqual({
    baseUrl: 'https://px.example/phoenix',
    apiKey: 'k',
  });
  expect(() => phoenixConfigFromEnv({ PHOENIX_BASE_URL: 'px:6006?x=1', PHOENIX_API_KEY: 'secret-key' })).toThrow(/PHOENIX_BASE_URL must be an http\(s\) URL/);
});

test('Phoenix ids are told from names by their GlobalID shape', () => {
  expect(isPhoenixId('RGF0YXNldDox', 'Dataset')).toBe(true);
  expect(isPhoenixId('RXhwZXJpbWVudDox', 'Dataset')).toBe(false); // Experiment:1
  expect(isPhoenixId('questions', 'Dataset')).toBe(false);
});

test('the summary names the Phoenix experiment, and the runs kept only in the results store with why', () => {
  const summary = {
    experimentId: 'px',
    name: 'px',
    status: 'completed' as const,
    runs: 3,
    succeeded: 3,
    failed: 0,
    evaluators: {},
    failures: [],
    failuresTruncated: false,
    location: '/tmp/px',
    phoenix: { datasetId: 'RGF0YXNldDox', datasetVersionId: 'v1', experimentId: 'RXhwZXJpbWVudDox', uploaded: 2, notUploaded: 1, error: 'Phoenix refused' },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
  };
  const text = formatSummary(summary);
  expect(text).toContain('Phoenix: experiment RXhwZXJpbWVudDox on dataset RGF0YXNldDox (version v1): 2 runs sent');
  expect(text).toContain('1 runs kept only in the results store (Phoenix refused)');
});
