import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpecFile, parseSpec, SpecError } from '../client/spec-file';
import { checkPlan } from '../client/commands/run';

function problems(value: unknown): { path: string; message: string }[] {
  try {
    parseSpec(value);
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
  throw new Error('expected the spec to be refused');
}

const valid = { name: 'ok', dataset: { path: 'data.jsonl' }, task: 'echo' };

test('a minimal spec gets the documented defaults and an absolute dataset path', () => {
  const spec = parseSpec(valid, 'spec', '/data/specs');
  expect(spec).toMatchObject({ concurrency: 10, repetitions: 1, dryRun: false, exitOnError: false, timeout: '5m', flushEvery: 100, evaluators: [] });
  expect(spec.dataset).toMatchObject({ path: '/data/specs/data.jsonl' });
});

test('every bad field is named by its path with the reason', () => {
  const found = problems({
    name: 'has space',
    dataset: { path: 'x.csv', format: 'xlsx' },
    task: 'echo',
    concurrency: 0,
    timeout: 'soon',
    sample: { count: 5, fraction: 0.5 },
    steps: { fetch: { retry: { maximumAttempts: -1 } } },
    extra: true,
  });
  const paths = found.map((p) => p.path);
  expect(paths).toEqual(expect.arrayContaining(['name', 'dataset.format', 'concurrency', 'timeout', 'sample', 'steps.fetch.retry.maximumAttempts', '']));
  expect(found.find((p) => p.path === 'timeout')?.message).toMatch(/duration/);
  expect(found.find((p) => p.path === 'sample')?.message).toMatch(/exactly one of count or fraction/);
  expect(found.find((p) => p.path === '')?.message).toMatch(/unknown field\(s\): extra/);
});

test('a missing required field is refused', () => {
  expect(problems({ name: 'x', task: 'echo' }).map((p) => p.path)).toContain('dataset');
});

test('YAML and JSON files load; a syntax error is reported with the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dxp-spec-'));
  writeFileSync(join(dir, 'a.yaml'), 'name: a\ndataset: { path: rows.csv }\ntask: echo\nevaluators: [exact-match]\n');
  writeFileSync(join(dir, 'b.json'), JSON.stringify(valid));
  writeFileSync(join(dir, 'c.yaml'), 'name: [unclosed\n');
  expect(loadSpecFile(join(dir, 'a.yaml')).dataset).toMatchObject({ path: join(dir, 'rows.csv') });
  expect(loadSpecFile(join(dir, 'b.json')).name).toBe('ok');
  expect(() => loadSpecFile(join(dir, 'c.yaml'))).toThrow(/c\.yaml[\s\S]*not valid YAML/);
});

test('names the worker can check are checked before start: unknown evaluator, step or duplicate column', () => {
  const base = parseSpec({ ...valid, task: 'demo-calculator' });
  expect(() => checkPlan({ ...base, evaluators: ['no-such'] })).toThrow(/unknown evaluator 'no-such'/);
  expect(() => checkPlan({ ...base, steps: { fetch: {} } })).toThrow(/steps\.fetch: task 'demo-calculator' has no such step/);
  expect(() => checkPlan({ ...base, evaluators: ['contains', 'contains'] })).toThrow(/two evaluators named 'contains'/);
  expect(() => checkPlan({ ...base, evaluators: ['contains', { name: 'c2', use: 'contains' }] })).not.toThrow();
});
