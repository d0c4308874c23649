import type { z } from 'zod';
import { ArizeFake, contract, type SeededDataset } from './fakes/arize';
import type { Experiment, operations } from './fakes/arize/api-types';

// ---- The fake's request schemas are the OpenAPI contract: a drift fails `tsc`. ----

/** True only when A and B are the same type. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** For types with index signatures, where identity is too strict: each assignable to the other. */
type Assignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Query<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;

const _listSpaces: Equals<z.infer<typeof contract.listSpacesQuery>, Query<'list_spaces'>> = true;
const _listDatasets: Equals<z.infer<typeof contract.listDatasetsQuery>, Query<'list_datasets'>> = true;
const _listExamples: Equals<z.infer<typeof contract.listExamplesQuery>, Query<'list_dataset_examples'>> = true;
const _listExperiments: Equals<z.infer<typeof contract.listExperimentsQuery>, Query<'list_experiments'>> = true;
const _listRuns: Equals<z.infer<typeof contract.listRunsQuery>, Query<'list_experiment_runs'>> = true;
type CreateBody = operations['create_experiment']['requestBody']['content']['application/json'];
type InsertBody = operations['insert_experiment_runs']['requestBody']['content']['application/json'];
type RunInput = CreateBody['experiment_runs'][number];
/** Flattens `{...} & {[key: string]: unknown}` so it compares equal to zod's single object type. */
type Simplify<T> = { [K in keyof T]: T[K] };
const _runInput: Equals<Simplify<z.infer<typeof contract.experimentRunInput>>, Simplify<RunInput>> = true;
const _insertRuns: Equals<Simplify<InsertBody['experiment_runs'][number]>, Simplify<RunInput>> = true;
const _createFields: Equals<Omit<z.infer<typeof contract.createExperimentBody>, 'experiment_runs'>, Omit<CreateBody, 'experiment_runs'>> = true;
const _create: Assignable<z.infer<typeof contract.createExperimentBody>, CreateBody> = true;
const _insert: Assignable<z.infer<typeof contract.insertRunsBody>, InsertBody> = true;

// ---- Behaviour ----

let fake: ArizeFake;
let baseUrl: string;

beforeEach(async () => {
  fake = new ArizeFake();
  ({ baseUrl } = await fake.start());
});

afterEach(async () => {
  await fake.stop();
});

interface Reply {
  status: number;
  headers: Headers;
  json: unknown;
}

async function api(method: 'GET' | 'POST', path: string, body?: unknown, key: string | null = fake.apiKey): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? undefined : JSON.parse(text) };
}

const enc = encodeURIComponent;

function seedDataset(examples = 3): { spaceId: string; dataset: SeededDataset } {
  const space = fake.seedSpace('team');
  const rows = Array.from({ length: examples }, (_, i) => ({ 'attributes.input.value': `q${i}` }));
  return { spaceId: space.id, dataset: fake.seedDataset(space.id, 'qa', rows) };
}

function exampleIds(dataset: SeededDataset): string[] {
  return (dataset.versions.at(-1)?.examples ?? []).map((e) => e.id);
}

async function createExperiment(datasetId: string, name: string, exampleId: string): Promise<Experiment> {
  const reply = await api('POST', '/v2/experiments', { name, dataset_id: datasetId, experiment_runs: [{ example_id: exampleId, output: 'a' }] });
  expect(reply.status).toBe(201);
  return reply.json as Experiment;
}

async function listAll(path: string, field: string, limit: number): Promise<Array<{ id: string }>> {
  const items: Array<{ id: string }> = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page += 1) {
    const sep = path.includes('?') ? '&' : '?';
    const reply = await api('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${enc(cursor)}` : ''}`);
    expect(reply.status).toBe(200);
    const json = reply.json as Record<string, unknown> & { pagination: { has_more: boolean; next_cursor?: string } };
    const pageItems = json[field] as Array<{ id: string }>;
    expect(pageItems.length).toBeLessThanOrEqual(limit);
    items.push(...pageItems);
    if (!json.pagination.has_more) {
      expect(json.pagination).toEqual({ has_more: false });
      return items;
    }
    cursor = json.pagination.next_cursor;
    expect(typeof cursor).toBe('string');
  }
  throw new Error('pagination did not end');
}

describe('auth', () => {
  test('a missing or wrong bearer key gets a 401 problem+json and the log never holds the key', async () => {
    for (const key of [null, 'wrong-key']) {
      const reply = await api('GET', '/v2/spaces', undefined, key);
      expect(reply.status).toBe(401);
      expect(reply.headers.get('content-type')).toBe('application/problem+json');
      expect(reply.json).toEqual({ status: 401, title: 'Authentication required', detail: expect.any(String) });
    }
    expect((await api('GET', '/v2/spaces')).status).toBe(200);
    const log = fake.requestLog();
    expect(log.map((e) => e.status)).toEqual([401, 401, 200]);
    expect(JSON.stringify(log)).not.toContain(fake.apiKey);
  });
});

describe('lists', () => {
  test('name filters are case-insensitive substrings', async () => {
    fake.seedSpace('Research');
    fake.seedSpace('research-eu');
    fake.seedSpace('ops');
    const reply = await api('GET', '/v2/spaces?name=RESEARCH');
    expect((reply.json as { spaces: Array<{ name: string }> }).spaces.map((s) => s.name)).toEqual(['Research', 'research-eu']);
  });

  test('datasets list newest first without versions; get gives versions newest first', async () => {
    const space = fake.seedSpace('team');
    const a = fake.seedDataset(space.id, 'alpha', [{ q: 1 }]);
    const b = fake.seedDataset(space.id, 'alphabet', [{ q: 1 }], { versions: [{ examples: [{ q: 2 }] }] });
    fake.seedDataset(fake.seedSpace('other').id, 'alpha', [{ q: 1 }]);
    const list = await api('GET', `/v2/datasets?space_id=${enc(space.id)}&name=ALPHA`);
    const datasets = (list.json as { datasets: Array<Record<string, unknown>> }).datasets;
    expect(datasets.map((d) => d.id)).toEqual([b.id, a.id]);
    expect(datasets.every((d) => !('versions' in d))).toBe(true);
    const got = await api('GET', `/v2/datasets/${enc(b.id)}`);
    expect((got.json as { versions: Array<{ id: string }> }).versions.map((v) => v.id)).toEqual(b.versions.map((v) => v.id).reverse());
  });

  test('example pages never skip or repeat, for the latest or a pinned version', async () => {
    const space = fake.seedSpace('team');
    const v1 = Array.from({ length: 7 }, (_, i) => ({ n: i }));
    const v2 = [{ n: 100 }, { n: 101 }];
    const dataset = fake.seedDataset(space.id, 'qa', v1, { versions: [{ examples: v2 }] });
    const [first, second] = dataset.versions;
    const pinned = await listAll(`/v2/datasets/${enc(dataset.id)}/examples?dataset_version_id=${enc(first?.id ?? '')}`, 'examples', 3);
    expect(pinned.map((e) => e.id)).toEqual(first?.examples.map((e) => e.id));
    const latest = await listAll(`/v2/datasets/${enc(dataset.id)}/examples`, 'examples', 500);
    expect(latest.map((e) => e.id)).toEqual(second?.examples.map((e) => e.id));
  });

  test('run pages stay in insertion order even when runs are appended between pages', async () => {
    const { dataset } = seedDataset(1);
    const exampleId = exampleIds(dataset)[0] ?? '';
    const experiment = await createExperiment(dataset.id, 'exp', exampleId);
    const runs = Array.from({ length: 4 }, (_, i) => ({ example_id: exampleId, output: `o${i}` }));
    await api('POST', `/v2/experiments/${enc(experiment.id)}/runs`, { experiment_runs: runs });
    const first = await api('GET', `/v2/experiments/${enc(experiment.id)}/runs?limit=2`);
    const firstPage = first.json as { experiment_runs: Array<{ id: string }>; pagination: { next_cursor: string } };
    await api('POST', `/v2/experiments/${enc(experiment.id)}/runs`, { experiment_runs: runs });
    const rest = await listAll(`/v2/experiments/${enc(experiment.id)}/runs?cursor=${enc(firstPage.pagination.next_cursor)}`, 'experiment_runs', 2);
    const seen = [...firstPage.experiment_runs, ...rest].map((r) => r.id);
    expect(seen).toEqual(fake.runs(experiment.id).map((r) => r.id));
    expect(seen).toHaveLength(9);
  });

  test.each([
    ['/v2/spaces?limit=101', /limit/],
    ['/v2/spaces?limit=0', /limit/],
    ['/v2/experiments?limit=500', /limit/],
    ['/v2/spaces?cursor=garbage', /cursor/],
    ['/v2/spaces?colour=blue', /colour/],
    ['/v2/experiments?dataset_id=a&space_id=b', /at most one/],
  ])('GET %s is a 400 problem', async (path, detail) => {
    const reply = await api('GET', path);
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ status: 400, title: expect.any(String), detail: expect.stringMatching(detail) });
  });

  test('examples and runs accept limit up to 500', async () => {
    const { dataset } = seedDataset(1);
    expect((await api('GET', `/v2/datasets/${enc(dataset.id)}/examples?limit=500`)).status).toBe(200);
    expect((await api('GET', `/v2/datasets/${enc(dataset.id)}/examples?limit=501`)).status).toBe(400);
  });

  test('unknown ids are 404 problems', async () => {
    for (const path of ['/v2/spaces/U3BhY2U6OTk=', '/v2/datasets/x/examples', '/v2/experiments/x', '/v2/experiments/x/runs']) {
      const reply = await api('GET', path);
      expect(reply.status).toBe(404);
      expect(reply.json).toMatchObject({ status: 404, title: 'Resource not found' });
    }
  });
});

describe('experiments', () => {
  test('create answers 201 with the experiment on the latest version; append returns run ids in order', async () => {
    const { spaceId, dataset } = seedDataset(3);
    const ids = exampleIds(dataset);
    const experiment = await createExperiment(dataset.id, 'exp', ids[0] ?? '');
    expect(experiment).toMatchObject({ name: 'exp', dataset_id: dataset.id, space_id: spaceId, dataset_version_id: dataset.versions[0]?.id });
    const runs = ids.map((id) => ({ example_id: id, output: '', error: 'boom', 'eval.correct.score': 0 }));
    const reply = await api('POST', `/v2/experiments/${enc(experiment.id)}/runs`, { experiment_runs: runs });
    expect(reply.status).toBe(201);
    const runIds = (reply.json as { run_ids: string[] }).run_ids;
    expect(reply.json).toMatchObject({ id: experiment.id, run_ids: expect.any(Array) });
    const stored = fake.runs(experiment.id);
    expect(stored.slice(1).map((r) => r.id)).toEqual(runIds);
    expect(stored[1]).toMatchObject({ example_id: ids[0], output: '', error: 'boom', 'eval.correct.score': 0 });
  });

  test('a duplicate name on the same dataset is a 409 problem; another dataset may reuse it', async () => {
    const { spaceId, dataset } = seedDataset(1);
    const exampleId = exampleIds(dataset)[0] ?? '';
    await createExperiment(dataset.id, 'exp', exampleId);
    const again = await api('POST', '/v2/experiments', { name: 'exp', dataset_id: dataset.id, experiment_runs: [{ example_id: exampleId, output: 'a' }] });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect(again.json).toMatchObject({ status: 409, title: 'Resource conflict', detail: expect.stringContaining('exp') });
    const other = fake.seedDataset(spaceId, 'other', [{ q: 1 }]);
    await createExperiment(other.id, 'exp', exampleIds(other)[0] ?? '');
    expect(fake.experiments()).toHaveLength(2);
  });

  test('an example_id not in the dataset is a 422 and nothing is written', async () => {
    const { dataset } = seedDataset(1);
    const exampleId = exampleIds(dataset)[0] ?? '';
    const create = await api('POST', '/v2/experiments', { name: 'e', dataset_id: dataset.id, experiment_runs: [{ example_id: 'nope', output: 'a' }] });
    expect(create.status).toBe(422);
    expect(create.json).toMatchObject({ status: 422, detail: expect.stringContaining('nope') });
    expect(fake.experiments()).toHaveLength(0);
    const experiment = await createExperiment(dataset.id, 'e', exampleId);
    const append = await api('POST', `/v2/experiments/${enc(experiment.id)}/runs`, {
      experiment_runs: [{ example_id: exampleId, output: 'a' }, { example_id: 'nope', output: 'b' }],
    });
    expect(append.status).toBe(422);
    expect(fake.runs(experiment.id)).toHaveLength(1);
  });

  test.each([
    ['no runs', { experiment_runs: [] }],
    ['1001 runs', { experiment_runs: 'many' }],
    ['a non-string output', { experiment_runs: [{ example_id: 'E', output: { a: 1 } }] }],
    ['no output', { experiment_runs: [{ example_id: 'E' }] }],
    ['a missing example_id on a dataset experiment', { experiment_runs: [{ output: 'a' }] }],
    ['both dataset_id and space_id', { space_id: 'SPACE' }],
    ['neither dataset_id nor space_id', { dataset_id: null }],
    ['an unknown top-level field', { colour: 'blue' }],
  ])('create with %s is a 422 problem', async (_what, override) => {
    const { spaceId, dataset } = seedDataset(1);
    const exampleId = exampleIds(dataset)[0] ?? '';
    const many = Array.from({ length: 1001 }, () => ({ example_id: exampleId, output: 'a' }));
    const body: Record<string, unknown> = { name: 'e', dataset_id: dataset.id, experiment_runs: [{ example_id: exampleId, output: 'a' }], ...override };
    if (body.experiment_runs === 'many') body.experiment_runs = many;
    if (body.space_id === 'SPACE') body.space_id = spaceId;
    const text = JSON.stringify(body).replaceAll('"E"', JSON.stringify(exampleId));
    const reply = await api('POST', '/v2/experiments', text);
    expect(reply.status).toBe(422);
    expect(reply.json).toMatchObject({ status: 422, title: expect.any(String), detail: expect.any(String) });
    expect(fake.experiments()).toHaveLength(0);
  });

  test('append with 0 or 1001 runs is a 422; a body that is not JSON is a 400', async () => {
    const { dataset } = seedDataset(1);
    const exampleId = exampleIds(dataset)[0] ?? '';
    const experiment = await createExperiment(dataset.id, 'e', exampleId);
    const path = `/v2/experiments/${enc(experiment.id)}/runs`;
    expect((await api('POST', path, { experiment_runs: [] })).status).toBe(422);
    const many = Array.from({ length: 1001 }, () => ({ example_id: exampleId, output: 'a' }));
    expect((await api('POST', path, { experiment_runs: many })).status).toBe(422);
    expect((await api('POST', path, '{not json')).status).toBe(400);
    expect((await api('POST', path, { experiment_runs: many.slice(0, 1000) })).status).toBe(201);
    expect(fake.runs(experiment.id)).toHaveLength(1001);
  });

  test('an experiment on a space alone needs no example ids', async () => {
    const space = fake.seedSpace('team');
    const reply = await api('POST', '/v2/experiments', { name: 'free', space_id: space.id, experiment_runs: [{ output: 'x' }] });
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({ space_id: space.id, dataset_id: null });
  });
});

describe('faults', () => {
  test('429 carries Retry-After, 503 and 500 are problems, and each fault is used once, in order', async () => {
    fake.fault('GET /v2/spaces', { kind: '429', retryAfterSeconds: 7 }, { kind: '503' }, { kind: '500' });
    const first = await api('GET', '/v2/spaces');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(first.json).toMatchObject({ status: 429, title: 'Rate limit exceeded' });
    expect((await api('GET', '/v2/spaces')).status).toBe(503);
    expect((await api('GET', '/v2/spaces')).status).toBe(500);
    expect((await api('GET', '/v2/spaces')).status).toBe(200);
    expect(fake.requestLog().map((e) => [e.status, e.fault])).toEqual([[429, '429'], [503, '503'], [500, '500'], [200, undefined]]);
  });

  test('route faults go first, then global ones; other routes are untouched by route faults', async () => {
    fake.fault('*', { kind: '503' });
    fake.fault('GET /v2/spaces/:id', { kind: '500' });
    expect((await api('GET', '/v2/spaces/x')).status).toBe(500);
    expect((await api('GET', '/v2/spaces/x')).status).toBe(503);
    expect((await api('GET', '/v2/spaces')).status).toBe(200);
    expect(fake.pendingFaults()).toBe(0);
    expect(() => fake.fault('GET /v2/nope', { kind: '500' })).toThrow(/no route/);
  });

  test('slow delays the answer', async () => {
    fake.fault('GET /v2/spaces', { kind: 'slow', ms: 300 });
    const started = Date.now();
    expect((await api('GET', '/v2/spaces')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  test('reset drops the connection without writing; commit-then-drop and commit-then-500 write first', async () => {
    const { dataset } = seedDataset(1);
    const exampleId = exampleIds(dataset)[0] ?? '';
    const experiment = await createExperiment(dataset.id, 'e', exampleId);
    const path = `/v2/experiments/${enc(experiment.id)}/runs`;
    const body = { experiment_runs: [{ example_id: exampleId, output: 'x' }] };
    fake.fault('POST /v2/experiments/:id/runs', { kind: 'reset' }, { kind: 'commit-then-drop' }, { kind: 'commit-then-500' });
    await expect(api('POST', path, body)).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(fake.runs(experiment.id)).toHaveLength(1);
    await expect(api('POST', path, body)).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(fake.runs(experiment.id)).toHaveLength(2);
    const third = await api('POST', path, body);
    expect(third.status).toBe(500);
    expect(fake.runs(experiment.id)).toHaveLength(3);
    expect(fake.requestLog().slice(-3).map((e) => [e.fault, e.status])).toEqual([
      ['reset', 0],
      ['commit-then-drop', 0],
      ['commit-then-500', 500],
    ]);
  });
});
