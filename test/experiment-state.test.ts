/**
 * The experiment's state rules (workflows/experiment-state.ts) without a server: taking pages up
 * to the dry-run cap, slots and the generation budget, counting each run once, duplicate rows,
 * and folding Arize batch outcomes into the carried counters.
 */
import type { Prepared } from '../activities/experiment-activities';
import type { Example, RunRecord } from '../core/records';
import {
  allDone,
  canStart,
  initialState,
  markStarted,
  onArizeBatch,
  onRunFinished,
  onRunRejected,
  pageRows,
  pause,
  progressOf,
  resume,
  shouldContinueAsNew,
  startCapacity,
  take,
} from '../workflows/experiment-state';
import { exampleWorkflowId } from '../workflows/experiment-contract';

const prepared = (overrides: Partial<Prepared> = {}): Prepared => ({
  plan: { task: 'echo', steps: [], evaluators: [] },
  source: { kind: 'local', path: '/data/x.jsonl', spec: { path: '/data/x.jsonl' } } as unknown as Prepared['source'],
  total: 6,
  ...overrides,
});
const example = (index: number): Example => ({ id: `ex-${index}`, index, input: { q: index }, expected: null, metadata: {} }) as unknown as Example;
const record = (workflowId: string, error?: string): RunRecord =>
  ({ exampleId: workflowId, repetition: 1, workflowId, output: 'x', evaluations: {}, latencyMs: 1, ...(error ? { error } : {}) }) as unknown as RunRecord;
const budget = { children: 4, events: 100, bytes: 1_000 };
const quiet = { continueAsNewSuggested: false, historySize: 10, historyLength: 10 };

test('a page is queued once per repetition, up to the dry-run cap, and the cap exhausts the dataset', () => {
  const s = initialState(prepared(), { startedAt: 't0', uploadToArize: false });
  take(s, { examples: [example(0), example(1)], nextCursor: 'c1' }, { cap: 3, repetitions: 2 });
  expect(s.queue.map((r) => `${r.example.id}#${r.repetition}`)).toEqual(['ex-0#1', 'ex-0#2', 'ex-1#1', 'ex-1#2']);
  expect([s.taken, s.cursor, s.exhausted]).toEqual([2, 'c1', false]);
  take(s, { examples: [example(2), example(3)], nextCursor: 'c2' }, { cap: 3, repetitions: 2 });
  expect(s.taken).toBe(3);
  expect(s.exhausted).toBe(true);
  expect(s.queue).toHaveLength(6);
});

test('the last page exhausts the dataset even under the cap', () => {
  const s = initialState(prepared(), { startedAt: 't0', uploadToArize: false });
  take(s, { examples: [example(0)], nextCursor: null }, { cap: Infinity, repetitions: 1 });
  expect(s.exhausted).toBe(true);
});

test('slots, capacity and completion follow the in-flight set', () => {
  const s = initialState(prepared(), { startedAt: 't0', uploadToArize: false });
  expect(canStart(s, 2)).toBe(true); // nothing queued, but the dataset is not read yet
  take(s, { examples: [example(0), example(1), example(2)], nextCursor: null }, { cap: Infinity, repetitions: 1 });
  expect(startCapacity(s, 2, budget, 0)).toBe(2);
  expect(startCapacity(s, 2, budget, 3)).toBe(1); // the generation may start one more
  for (const run of s.queue.splice(0, 2)) expect(markStarted(s, run, exampleWorkflowId('e', run.example.id, 1))).toBe(true);
  expect(canStart(s, 2)).toBe(false);
  expect(progressOf(s, { experimentId: 'e', name: 'e', phase: 'running', workflowStartTime: 'w' }).running).toBe(2);
  onRunFinished(s, record(exampleWorkflowId('e', 'ex-0', 1)));
  expect(canStart(s, 2)).toBe(true);
  expect(allDone(s)).toBe(false);
  const last = s.queue.shift()!;
  markStarted(s, last, exampleWorkflowId('e', last.example.id, 1));
  onRunFinished(s, record(exampleWorkflowId('e', 'ex-1', 1), 'boom'));
  onRunFinished(s, record(exampleWorkflowId('e', 'ex-2', 1)));
  expect(allDone(s)).toBe(true);
  expect(s.counts).toEqual({ total: 6, started: 3, succeeded: 2, failed: 1, skipped: 0 });
  expect(s.tally?.runs).toBe(3);
});

test('a second row with the id of a run in flight is rejected, counted failed and skipped, and the first stays tracked', () => {
  const s = initialState(prepared(), { startedAt: 't0', uploadToArize: false });
  const first = { example: example(0), repetition: 1 };
  const again = { example: { ...example(5), id: 'ex-0' }, repetition: 1 };
  const id = exampleWorkflowId('e', 'ex-0', 1);
  expect(markStarted(s, first, id)).toBe(true);
  expect(markStarted(s, again, id)).toBe(false);
  const rejected = onRunRejected(s, 'e', again, undefined);
  expect(rejected.error).toContain("duplicate example id 'ex-0': row 6 repeats");
  expect(rejected.duplicateRow).toBe(6);
  expect(s.inFlight[id]).toEqual({ exampleId: 'ex-0', repetition: 1 });
  expect(s.counts).toMatchObject({ started: 2, failed: 1, skipped: 1 });
  const failedStart = onRunRejected(s, 'e', { example: example(7), repetition: 1 }, 'server unavailable');
  expect(failedStart.error).toBe('row 8: could not start its example workflow: server unavailable');
  expect(s.counts).toMatchObject({ failed: 2, skipped: 1 });
});

test('a generation continues as new at whichever limit comes first', () => {
  expect(shouldContinueAsNew(quiet, budget, 3)).toBe(false);
  expect(shouldContinueAsNew(quiet, budget, 4)).toBe(true);
  expect(shouldContinueAsNew({ ...quiet, historyLength: 101 }, budget, 0)).toBe(true);
  expect(shouldContinueAsNew({ ...quiet, historySize: 1_001 }, budget, 0)).toBe(true);
  expect(shouldContinueAsNew({ ...quiet, continueAsNewSuggested: true }, budget, 0)).toBe(true);
});

test('pages hold two rounds of concurrency (at least 50 runs), split over repetitions, within the row limit', () => {
  expect(pageRows(10, 1, 500)).toBe(50);
  expect(pageRows(100, 1, 500)).toBe(200);
  expect(pageRows(100, 4, 500)).toBe(50);
  expect(pageRows(1_000, 1, 500)).toBe(500);
  expect(pageRows(1, 1_000, 500)).toBe(1);
});

test('Arize uploads are carried only for Arize datasets outside dry runs, and batch outcomes fold into the counters', () => {
  const arizeSource = { kind: 'arize', datasetId: 'd1', versionId: 'v1' } as unknown as Prepared['source'];
  expect(initialState(prepared({ source: arizeSource }), { startedAt: 't0', uploadToArize: false }).arize).toBeUndefined();
  const s = initialState(prepared({ source: arizeSource }), { startedAt: 't0', uploadToArize: true });
  expect(s.arize).toEqual({ datasetId: 'd1', datasetVersionId: 'v1', uploaded: 0, notUploaded: 0 });
  onArizeBatch(s.arize!, { kind: 'uploaded', experimentId: 'ax-1', runs: 5 });
  onArizeBatch(s.arize!, { kind: 'failed', error: '403 forbidden', runs: 3 });
  onArizeBatch(s.arize!, { kind: 'skipped', runs: 2 });
  expect(s.arize).toEqual({ datasetId: 'd1', datasetVersionId: 'v1', experimentId: 'ax-1', uploaded: 5, notUploaded: 5, error: '403 forbidden' });
});

test('a pause stops starts (not completion), keeps the first pause, shows in progress, and resume lifts it', () => {
  const s = initialState(prepared(), { startedAt: 't0', uploadToArize: false });
  take(s, { examples: [example(0), example(1)], nextCursor: null }, { cap: Infinity, repetitions: 1 });
  const first = pause(s, { by: 'ana@ci', reason: 'deploy' }, '2026-12-03T10:00:00.000Z');
  expect(first).toEqual({ paused: true, pause: { by: 'ana@ci', since: '2026-12-03T10:00:00.000Z', reason: 'deploy' }, running: 0, queued: 2 });
  expect(canStart(s, 2)).toBe(false);
  expect(pause(s, { by: 'bo@ci' }, '2026-12-03T11:00:00.000Z').pause).toEqual(first.pause);
  expect(progressOf(s, { experimentId: 'e', name: 'e', phase: 'running', workflowStartTime: 't0' }).paused).toEqual(first.pause);
  // What is carried to the next generation keeps the pause.
  expect((JSON.parse(JSON.stringify(s)) as typeof s).paused).toEqual(first.pause);
  expect(resume(s)).toEqual({ paused: false, running: 0, queued: 2 });
  expect(canStart(s, 2)).toBe(true);
  expect(progressOf(s, { experimentId: 'e', name: 'e', phase: 'running', workflowStartTime: 't0' }).paused).toBeUndefined();
  // Paused with nothing left to start or wait for is done: a pause never holds a finished experiment open.
  s.queue.length = 0;
  pause(s, { by: 'ana@ci' }, 't1');
  expect(allDone(s)).toBe(true);
});
