import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Agent } from 'undici';
import type { z } from 'zod';
import {
  ARIZE_ERROR_CODES,
  ArizeApiError,
  arizeConfigFromEnv,
  chunkRuns,
  createArizeClient,
  looksLikeId,
  type ArizeHttpClient,
  type ArizeRunInput,
} from '../activities/arize';
import { parseRetryAfter } from '../activities/shared/http-transport';
import { backoffMs, RETRY_CAP_MS } from '../activities/arize/retry';
import type * as schemas from '../activities/arize/schemas';
import { ArizeFake, type SeededDataset } from './fakes/arize';
import type { components } from './fakes/arize/api-types';

// ---- Every body the OpenAPI types allow passes the client's schemas (dataset-less experiments and runs aside). ----

type S = components['schemas'];
type Accepts<Schema extends z.ZodType, Body> = [Body] extends [z.input<Schema>] ? true : false;
type OnDataset<T> = T & { dataset_id: string };
const _space: Accepts<typeof schemas.listSpacesSchema, S['ListSpacesResponse']> = true;
const _datasets: Accepts<typeof schemas.listDatasetsSchema, S['ListDatasetsResponse']> = true;
const _dataset: Accepts<typeof schemas.datasetSchema, S['Dataset']> = true;
const _examples: Accepts<typeof schemas.listExamplesSchema, S['ListDatasetExamplesResponse']> = true;
const _experiment: Accepts<typeof schemas.experimentSchema, OnDataset<S['Experiment']>> = true;
const _experiments: Accepts<typeof schemas.listExperimentsSchema, { experiments: Array<OnDataset<S['Experiment']>>; pagination: S['PaginationMetadata'] }> = true;
const _withRunIds: Accepts<typeof schemas.experimentWithRunIdsSchema, OnDataset<S['ExperimentWithRunIds']>> = true;
const _runs: Accepts<typeof schemas.listRunsSchema, { experiment_runs: Array<S['ExperimentRun'] & { example_id: string }>; pagination: S['PaginationMetadata'] }> = true;
const _problem: Accepts<typeof schemas.problemSchema, S['Problem']> = true;

// ---- Against the loopback fake ----

let fake: ArizeFake;
let baseUrl: string;
let client: ArizeHttpClient;
const clients: ArizeHttpClient[] = [];

function newClient(options: { apiKey?: string; timeoutMs?: number; maxRetries?: number; baseUrl?: string } = {}): ArizeHttpClient {
  const made = createArizeClient({ baseUrl, apiKey: fake.apiKey, ...options });
  clients.push(made);
  return made;
}

beforeEach(async () => {
  fake = new ArizeFake();
  ({ baseUrl } = await fake.start());
  client = newClient();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await fake.stop();
});

/** Requests the fake saw for a route. */
function count(route: string): number {
  return fake.requestLog().filter((e) => e.route === route).length;
}

async function failure(promise: Promise<unknown>): Promise<ArizeApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ArizeApiError);
  return err as ArizeApiError;
}

function seed(examples = 3): { spaceId: string; dataset: SeededDataset; exampleIds: string[] } {
  const space = fake.seedSpace('team');
  const dataset = fake.seedDataset(space.id, 'qa', Array.from({ length: examples }, (_, i) => ({ 'attributes.input.value': `q${i}` })));
  return { spaceId: space.id, dataset, exampleIds: dataset.versions[0]?.examples.map((e) => e.id) ?? [] };
}

const runsFor = (exampleIds: string[], tag = 'o'): ArizeRunInput[] =>
  exampleIds.map((id, i) => ({ example_id: id, output: `${tag}${i}`, latency_ms: i }));

describe('name resolution', () => {
  test('a space resolves by exact name over substring and case variants, across pages, and by id', async () => {
    for (let i = 0; i < 120; i += 1) fake.seedSpace(`research-${i}`);
    fake.seedSpace('Research');
    const target = fake.seedSpace('research');
    await expect(client.resolveSpace('research')).resolves.toEqual({ id: target.id, name: 'research' });
    expect(count('GET /v2/spaces')).toBe(2);
    await expect(client.resolveSpace(target.id)).resolves.toEqual({ id: target.id, name: 'research' });
    expect(count('GET /v2/spaces/:id')).toBe(1);
  });

  test('no exact match is a 404-like error; two exact matches are refused as ambiguous', async () => {
    fake.seedSpace('research-eu');
    const missing = await failure(client.resolveSpace('research'));
    expect(missing).toMatchObject({ status: 404, errorCode: ARIZE_ERROR_CODES.nameNotFound, retryable: false, endpoint: 'GET /v2/spaces' });
    expect(missing.message).toContain('no space named "research"');
    const a = fake.seedSpace('dup');
    const b = fake.seedSpace('dup');
    const ambiguous = await failure(client.resolveSpace('dup'));
    expect(ambiguous).toMatchObject({ errorCode: ARIZE_ERROR_CODES.nameAmbiguous, retryable: false });
    expect(ambiguous.message).toMatch(/ambiguous/i);
    expect(ambiguous.message).toContain(a.id);
    expect(ambiguous.message).toContain(b.id);
  });

  test('a dataset resolves by exact name within its space (given by name or id), with versions newest first', async () => {
    const space = fake.seedSpace('team');
    fake.seedDataset(space.id, 'qa-extended', [{ q: 1 }]);
    fake.seedDataset(fake.seedSpace('other').id, 'qa', [{ q: 1 }]);
    const qa = fake.seedDataset(space.id, 'qa', [{ q: 1 }], { versions: [{ examples: [{ q: 2 }] }] });
    const expected = { id: qa.id, name: 'qa', space_id: space.id, versions: qa.versions.map((v) => ({ id: v.id, created_at: expect.any(String) })).reverse() };
    await expect(client.resolveDataset({ dataset: 'qa', space: 'team' })).resolves.toEqual(expected);
    await expect(client.resolveDataset({ dataset: 'qa', space: space.id })).resolves.toEqual(expected);
    await expect(client.resolveDataset({ dataset: qa.id })).resolves.toEqual(expected);
    await expect(failure(client.resolveDataset({ dataset: 'q', space: 'team' }))).resolves.toMatchObject({ status: 404 });
    await expect(client.resolveDataset({ dataset: 'qa' })).rejects.toThrow(/needs a space/);
  });

  test('findExperiment keeps the exact name and returns undefined when there is none', async () => {
    const { dataset, exampleIds } = seed(1);
    const long = await client.createExperiment({ name: 'baseline-v2', datasetId: dataset.id, runs: runsFor(exampleIds) });
    await expect(client.findExperiment(dataset.id, 'baseline')).resolves.toBeUndefined();
    const exact = await client.createExperiment({ name: 'baseline', datasetId: dataset.id, runs: runsFor(exampleIds) });
    await expect(client.findExperiment(dataset.id, 'baseline')).resolves.toEqual(exact);
    await expect(client.findExperiment(dataset.id, 'baseline-v2')).resolves.toEqual(long);
  });

  test('looksLikeId tells base64 Type:n ids from names', () => {
    expect(looksLikeId('U3BhY2U6MTphQmNE')).toBe(true); // Space:1:aBcD
    expect(looksLikeId('RGF0YXNldDoxMjM0NQ==')).toBe(true); // Dataset:12345
    expect(looksLikeId(Buffer.from('Space:7').toString('base64url'))).toBe(true);
    for (const name of ['team', 'research', 'my dataset', 'qa-v2', 'abcd', 'U3BhY2U']) expect(looksLikeId(name)).toBe(false);
  });
});

describe('examples and runs', () => {
  test('examples come across several pages pinned to a version', async () => {
    const space = fake.seedSpace('team');
    const dataset = fake.seedDataset(space.id, 'qa', Array.from({ length: 7 }, (_, i) => ({ n: i })), { versions: [{ examples: [{ n: 99 }] }] });
    const pinned = dataset.versions[0];
    const seen: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await client.listExamples(dataset.id, { versionId: pinned?.id, cursor, limit: 3 });
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(pinned?.examples);
    const latest = await client.listExamples(dataset.id, {});
    expect(latest).toEqual({ items: [expect.objectContaining({ n: 99 })], nextCursor: null });
    await expect(client.listExamples(dataset.id, { limit: 501 })).rejects.toThrow(RangeError);
  });

  test('create, then append, then list runs across pages in insertion order', async () => {
    const { dataset, exampleIds } = seed(4);
    const experiment = await client.createExperiment({ name: 'exp', datasetId: dataset.id, runs: runsFor(exampleIds.slice(0, 2), 'a') });
    expect(experiment).toMatchObject({ name: 'exp', dataset_id: dataset.id, dataset_version_id: dataset.versions[0]?.id });
    await expect(client.getExperiment(experiment.id)).resolves.toEqual(experiment);
    const failed = { example_id: exampleIds[3] ?? '', output: '', error: 'boom', 'eval.correct.score': 0 };
    const { runIds } = await client.appendRuns(experiment.id, [...runsFor(exampleIds, 'b'), failed]);
    expect(runIds).toHaveLength(5);
    const runs: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page = await client.listRuns(experiment.id, { cursor, limit: 3 });
      runs.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(runs).toHaveLength(7);
    expect(runs.slice(2).map((r) => (r as { id: string }).id)).toEqual(runIds);
    expect(runs[0]).toMatchObject({ example_id: exampleIds[0], output: 'a0', latency_ms: 0 });
    expect(runs[6]).toMatchObject({ ...failed, id: runIds[4] });
  });

  test('0 or more than 1000 runs are refused before any request', async () => {
    const { dataset, exampleIds } = seed(1);
    const many = Array.from({ length: 1001 }, () => ({ example_id: exampleIds[0] ?? '', output: 'x' }));
    await expect(client.createExperiment({ name: 'e', datasetId: dataset.id, runs: [] })).rejects.toThrow(/1 to 1000 runs/);
    await expect(client.createExperiment({ name: 'e', datasetId: dataset.id, runs: many })).rejects.toThrow(/chunkRuns/);
    await expect(client.appendRuns('x', [])).rejects.toThrow(RangeError);
    await expect(client.appendRuns('x', many)).rejects.toThrow(RangeError);
    expect(fake.requestLog()).toHaveLength(0);
  });
});

describe('retries', () => {
  test('429 waits at least Retry-After, then succeeds', async () => {
    const space = fake.seedSpace('team');
    fake.fault('GET /v2/spaces/:id', { kind: '429', retryAfterSeconds: 1 });
    await expect(client.resolveSpace(space.id)).resolves.toMatchObject({ id: space.id });
    const [limited, retried] = fake.requestLog();
    expect([limited?.status, retried?.status]).toEqual([429, 200]);
    expect((retried?.time ?? 0) - (limited?.time ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  test('503 and 500 are retried', async () => {
    fake.seedSpace('team');
    fake.fault('GET /v2/spaces', { kind: '503' }, { kind: '500' });
    await expect(client.resolveSpace('team')).resolves.toMatchObject({ name: 'team' });
    expect(fake.requestLog().map((e) => e.status)).toEqual([503, 500, 200]);
  });

  test('a reset connection is retried for a create (a lost create comes back as 409), never for an append', async () => {
    const { dataset, exampleIds } = seed(2);
    fake.fault('POST /v2/experiments', { kind: 'reset' });
    const experiment = await client.createExperiment({ name: 'e', datasetId: dataset.id, runs: runsFor(exampleIds) });
    expect(count('POST /v2/experiments')).toBe(2);
    fake.fault('POST /v2/experiments/:id/runs', { kind: 'reset' });
    const err = await failure(client.appendRuns(experiment.id, runsFor(exampleIds)));
    expect(err).toMatchObject({ retryable: true });
    expect(count('POST /v2/experiments/:id/runs')).toBe(1);
    expect(fake.runs(experiment.id)).toHaveLength(2);
  });

  test('a create whose response is lost is retried and meets its own 409: the caller reconciles by name', async () => {
    const { dataset, exampleIds } = seed(1);
    fake.fault('POST /v2/experiments', { kind: 'commit-then-drop' });
    const err = await failure(client.createExperiment({ name: 'e', datasetId: dataset.id, runs: runsFor(exampleIds) }));
    expect(err).toMatchObject({ status: 409, retryable: false, attempts: 2 });
    await expect(client.findExperiment(dataset.id, 'e')).resolves.toMatchObject({ name: 'e' });
  });

  test('4xx answers are not retried', async () => {
    const { dataset, exampleIds } = seed(1);
    const notFound = await failure(client.getExperiment('RXhwZXJpbWVudDo5OTk='));
    expect(notFound).toMatchObject({ status: 404, retryable: false, endpoint: 'GET /v2/experiments/RXhwZXJpbWVudDo5OTk%3D' });
    const experiment = await client.createExperiment({ name: 'e', datasetId: dataset.id, runs: runsFor(exampleIds) });
    const invalid = await failure(client.appendRuns(experiment.id, [{ example_id: 'nope', output: 'x' }]));
    expect(invalid).toMatchObject({ status: 422, retryable: false, title: 'Unprocessable Entity' });
    expect(invalid.message).toContain('no example "nope"');
    const duplicate = await failure(client.createExperiment({ name: 'e', datasetId: dataset.id, runs: runsFor(exampleIds) }));
    expect(duplicate).toMatchObject({ status: 409, retryable: false });
    const unauthorized = await failure(newClient({ apiKey: 'wrong' }).getExperiment(experiment.id));
    expect(unauthorized).toMatchObject({ status: 401, retryable: false });
    expect(fake.requestLog().map((e) => e.status)).toEqual([404, 201, 422, 409, 401]);
  });

  test('a response slower than timeoutMs is a retryable timeout, and a retry can succeed', async () => {
    fake.seedSpace('team');
    fake.fault('GET /v2/spaces', { kind: 'slow', ms: 1500 });
    const once = newClient({ timeoutMs: 200, maxRetries: 0 });
    const started = Date.now();
    const err = await failure(once.resolveSpace('team'));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err).toMatchObject({ status: 0, errorCode: ARIZE_ERROR_CODES.timeout, retryable: true });
    fake.fault('GET /v2/spaces', { kind: 'slow', ms: 1500 });
    await expect(newClient({ timeoutMs: 200, maxRetries: 1 }).resolveSpace('team')).resolves.toMatchObject({ name: 'team' });
  });

  test('after maxRetries the last error is thrown, retryable, with retryAfterMs', async () => {
    fake.fault('GET /v2/spaces', { kind: '429', retryAfterSeconds: 1 }, { kind: '429', retryAfterSeconds: 1 });
    const err = await failure(newClient({ maxRetries: 1 }).resolveSpace('team'));
    expect(err).toMatchObject({ status: 429, retryable: true, retryAfterMs: 1000, attempts: 2 });
    expect(err.message).toContain('after 2 attempts');
    expect(count('GET /v2/spaces')).toBe(2);
  });

  test('a Retry-After beyond the backoff cap is handed to the caller at once', async () => {
    fake.fault('GET /v2/spaces', { kind: '429', retryAfterSeconds: 60 });
    const err = await failure(client.resolveSpace('team'));
    expect(err).toMatchObject({ status: 429, retryable: true, retryAfterMs: 60_000, attempts: 1 });
    expect(count('GET /v2/spaces')).toBe(1);
  });

  test("the caller's AbortSignal stops a request and its retries with the signal's reason", async () => {
    fake.fault('GET /v2/spaces', { kind: 'slow', ms: 2000 });
    const controller = new AbortController();
    const reason = new Error('cancelled by the workflow');
    setTimeout(() => controller.abort(reason), 100);
    await expect(client.resolveSpace('team', { signal: controller.signal })).rejects.toBe(reason);
    expect(count('GET /v2/spaces')).toBe(1);
  });

  test('backoff grows exponentially with jitter up to the cap; Retry-After parses seconds and dates', () => {
    expect([0, 1, 2].map((n) => backoffMs(n, () => 0))).toEqual([125, 250, 500]);
    expect([0, 1, 2].map((n) => backoffMs(n, () => 1))).toEqual([250, 500, 1000]);
    expect(backoffMs(20, () => 1)).toBe(RETRY_CAP_MS);
    expect(parseRetryAfter({ 'retry-after': '3' })).toBe(3000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }, now)).toBe(5000);
    expect(parseRetryAfter({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }, now)).toBe(0);
    expect(parseRetryAfter({ 'retry-after': 'soon' })).toBeUndefined();
    expect(parseRetryAfter({})).toBeUndefined();
  });
});

// ---- A hand-written server for answers the fake would never give ----

async function withServer(
  handler: http.RequestListener,
  run: (baseUrl: string, hits: () => number) => Promise<void>,
): Promise<void> {
  let n = 0;
  const server = http.createServer((req, res) => {
    n += 1;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, () => n);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const json = (status: number, body: unknown, type = 'application/json'): http.RequestListener => (_req, res) => {
  res.writeHead(status, { 'content-type': type });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

describe('contract breaks', () => {
  test.each([
    ['a field of the wrong type', { spaces: [{ id: 5, name: 'team' }], pagination: { has_more: false } }, /spaces\.0\.id/],
    ['a missing list', { pagination: { has_more: false } }, /spaces/],
    ['has_more without next_cursor', { spaces: [], pagination: { has_more: true } }, /next_cursor/],
    ['a body that is not JSON', '<html>oops</html>', /not JSON/],
  ])('%s is a clear, non-retried error naming the endpoint', async (_what, body, detail) => {
    await withServer(json(200, body), async (url, hits) => {
      const err = await failure(newClient({ baseUrl: url }).resolveSpace('team'));
      expect(err).toMatchObject({ errorCode: ARIZE_ERROR_CODES.invalidResponse, retryable: false, endpoint: 'GET /v2/spaces' });
      expect(err.message).toMatch(detail);
      expect(err.message).toContain('GET /v2/spaces');
      expect(hits()).toBe(1);
    });
  });

  test('appendRuns refuses a run_ids count that differs from the runs sent', async () => {
    const experiment = { id: 'RXhwZXJpbWVudDox', name: 'e', dataset_id: 'RGF0YXNldDox', space_id: 'U3BhY2U6MQ==', run_ids: ['r1'] };
    await withServer(json(201, experiment), async (url) => {
      const err = await failure(newClient({ baseUrl: url }).appendRuns(experiment.id, [{ example_id: 'a', output: '1' }, { example_id: 'b', output: '2' }]));
      expect(err.message).toContain('sent 2 runs but got 1 run_ids back');
    });
  });

  test('a run listed with output null comes back with output ""', async () => {
    const body = { experiment_runs: [{ id: 'r1', example_id: 'e1', output: null, error: 'boom' }], pagination: { has_more: false } };
    await withServer(json(200, body), async (url) => {
      await expect(newClient({ baseUrl: url }).listRuns('x', {})).resolves.toEqual({
        items: [{ id: 'r1', example_id: 'e1', output: '', error: 'boom' }],
        nextCursor: null,
      });
    });
  });
});

describe('transport', () => {
  test('a caller-supplied dispatcher is used and left open by close()', async () => {
    const agent = new Agent();
    try {
      fake.seedSpace('team');
      const c = createArizeClient({ baseUrl, apiKey: fake.apiKey, dispatcher: agent });
      await expect(c.resolveSpace('team')).resolves.toMatchObject({ name: 'team' });
      await c.close();
      expect(agent.closed).toBe(false);
    } finally {
      await agent.close();
    }
  });

  test('a base URL with a path keeps it as a prefix and sends the bearer key', async () => {
    const seen: Array<{ url?: string; auth?: string }> = [];
    const record: http.RequestListener = (req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization });
      json(200, { spaces: [{ id: 'U3BhY2U6MQ==', name: 'team' }], pagination: { has_more: false } })(req, res);
    };
    await withServer(record, async (url) => {
      await newClient({ baseUrl: `${url}/proxy/`, apiKey: 'k' }).resolveSpace('team');
    });
    expect(seen).toEqual([{ url: '/proxy/v2/spaces?name=team&limit=100', auth: 'Bearer k' }]);
  });
});

describe('the API key stays secret', () => {
  const KEY = 'sk-arize-SECRET-0123456789abcdef';

  function expectNoKey(err: unknown): void {
    expect(err).toBeInstanceOf(Error);
    const e = err as Error;
    for (const text of [e.message, String(e), JSON.stringify(e), e.stack ?? '', inspect(e, { depth: 10 })]) {
      expect(text).not.toContain(KEY);
    }
  }

  test('not in errors from a 401, a 404, a timeout or a network failure', async () => {
    const keyed = new ArizeFake({ apiKey: KEY });
    const { baseUrl: keyedUrl } = await keyed.start();
    try {
      keyed.fault('GET /v2/spaces', { kind: 'slow', ms: 1000 });
      const c = newClient({ baseUrl: keyedUrl, apiKey: KEY, timeoutMs: 100, maxRetries: 0 });
      expectNoKey(await failure(c.resolveSpace('team')));
      expectNoKey(await failure(c.getExperiment('RXhwZXJpbWVudDo5')));
      expectNoKey(await failure(newClient({ baseUrl: keyedUrl, apiKey: `${KEY}-wrong` }).getExperiment('x')));
      expect(JSON.stringify(keyed.requestLog())).not.toContain(KEY);
    } finally {
      await keyed.stop();
    }
    expectNoKey(await failure(newClient({ baseUrl: keyedUrl, apiKey: KEY, maxRetries: 0 }).resolveSpace('team')));
  });

  test('redacted even when the server echoes the Authorization header back', async () => {
    const echo: http.RequestListener = (req, res) => {
      res.writeHead(400, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ status: 400, title: `bad ${req.headers.authorization}`, detail: `rejected ${req.headers.authorization}` }));
    };
    await withServer(echo, async (url) => {
      const err = await failure(newClient({ baseUrl: url, apiKey: KEY }).resolveSpace('team'));
      expectNoKey(err);
      expect(err.detail).toBe('rejected Bearer [redacted]');
    });
  });
});

describe('chunkRuns', () => {
  const run = (i: number, size = 10): ArizeRunInput => ({ example_id: `ex-${i}`, output: 'x'.repeat(size) });

  test('caps the run count per batch and keeps the order', () => {
    const runs = Array.from({ length: 2500 }, (_, i) => run(i));
    const batches = chunkRuns(runs);
    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(batches.flat()).toEqual(runs);
    expect(chunkRuns(runs, { maxRuns: 7 }).every((b) => b.length <= 7)).toBe(true);
    expect(chunkRuns([])).toEqual([]);
  });

  test('caps the JSON bytes per request body', () => {
    const runs = Array.from({ length: 50 }, (_, i) => run(i, 1000 + i * 37));
    const maxBytes = 8 * 1024;
    const batches = chunkRuns(runs, { maxBytes });
    expect(batches.length).toBeGreaterThan(5);
    expect(batches.flat()).toEqual(runs);
    for (const batch of batches) {
      const body = JSON.stringify({ name: 'x'.repeat(200), dataset_id: 'RGF0YXNldDoxMjM0NQ==', experiment_runs: batch });
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(maxBytes);
    }
    expect(() => chunkRuns([run(0, 9000)], { maxBytes })).toThrow(/ex-0/);
    const multibyte = chunkRuns([run(1, 1), { example_id: 'ex-2', output: '€'.repeat(2000) }], { maxBytes: 8 * 1024 });
    expect(multibyte.map((b) => b.length)).toEqual([2]);
    expect(chunkRuns([{ example_id: 'a', output: '€'.repeat(2000) }, { example_id: 'b', output: '€'.repeat(2000) }], { maxBytes })).toHaveLength(2);
  });
});

describe('arizeConfigFromEnv', () => {
  test('defaults the base URL, reads the key and the default space', () => {
    expect(arizeConfigFromEnv({ ARIZE_API_KEY: ' k ' })).toEqual({ baseUrl: 'https://api.arize.com', apiKey: 'k' });
    expect(arizeConfigFromEnv({ ARIZE_API_KEY: 'k', ARIZE_BASE_URL: 'https://api.eu-west-1a.arize.com/', ARIZE_SPACE: 'team' })).toEqual({
      baseUrl: 'https://api.eu-west-1a.arize.com',
      apiKey: 'k',
      space: 'team',
    });
  });

  test('names the missing key and never prints a key', () => {
    expect(() => arizeConfigFromEnv({})).toThrow(/ARIZE_API_KEY is required/);
    let message = '';
    try {
      arizeConfigFromEnv({ ARIZE_API_KEY: 'sk-secret-value', ARIZE_BASE_URL: 'ftp://example.com' });
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(/ARIZE_BASE_URL/);
    expect(message).not.toContain('sk-secret-value');
  });
});
