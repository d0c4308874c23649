import { builtinEvaluators } from '../activities/tasks/builtins';
import { coerceEvaluation } from '../activities/tasks/coerce';
import type { EvaluatorArgs } from '../activities/tasks/define';
import { createRegistry } from '../activities/tasks/registry';
import { parseSpec } from '../client/spec-file';

function args(output: unknown, expected: unknown, params: Record<string, unknown> = {}): EvaluatorArgs {
  return { output, expected, input: null, datasetRow: {}, metadata: {}, params, signal: new AbortController().signal };
}

describe('coercion follows the Arize SDK', () => {
  test('a boolean becomes score 0/1 and label True/False', () => {
    expect(coerceEvaluation(true)).toEqual({ score: 1, label: 'True' });
    expect(coerceEvaluation(false)).toEqual({ score: 0, label: 'False' });
  });
  test('a number is a score, a string is a label, a pair is score and explanation', () => {
    expect(coerceEvaluation(0.25)).toEqual({ score: 0.25 });
    expect(coerceEvaluation('relevant')).toEqual({ label: 'relevant' });
    expect(coerceEvaluation([0.5, 'half right'])).toEqual({ score: 0.5, explanation: 'half right' });
  });
  test('a full result keeps its fields', () => {
    expect(coerceEvaluation({ score: 1, label: 'ok', explanation: 'why', metadata: { model: 'm' } })).toEqual({ score: 1, label: 'ok', explanation: 'why', metadata: { model: 'm' } });
  });
  test('nothing usable is refused with a reason', () => {
    expect(() => coerceEvaluation(undefined)).toThrow(/must return/);
    expect(() => coerceEvaluation({})).toThrow(/score or a non-empty label/);
    expect(() => coerceEvaluation('')).toThrow(/non-empty label/);
    expect(() => coerceEvaluation(Number.NaN)).toThrow(/finite/);
  });
});

describe('built-in evaluators', () => {
  test('exact-match compares text, and objects by content', () => {
    expect(builtinEvaluators['exact-match'](args('42', '42'))).toBe(true);
    expect(builtinEvaluators['exact-match'](args('42 ', '42'))).toBe(false);
    expect(builtinEvaluators['exact-match'](args('42 ', '42', { trim: true }))).toBe(true);
    expect(builtinEvaluators['exact-match'](args({ a: 1 }, { a: 1 }))).toBe(true);
    expect(builtinEvaluators['exact-match'](args('Paris', 'paris', { caseSensitive: false }))).toBe(true);
  });
  test('contains looks for the expected output or the given texts', () => {
    expect(builtinEvaluators.contains(args('the answer is 42', '42'))).toMatchObject({ score: 1 });
    expect(builtinEvaluators.contains(args('the answer', 'x', { texts: ['the', 'nope'] }))).toMatchObject({ score: 0, explanation: 'missing: nope' });
  });
  test('regex needs a pattern and matches it', () => {
    expect(builtinEvaluators.regex(args('abc123', null, { pattern: '\\d+$' }))).toBe(true);
    expect(() => builtinEvaluators.regex(args('abc', null))).toThrow(/needs `with: \{ pattern/);
  });
  test('json-parses accepts JSON text and objects', () => {
    expect(builtinEvaluators['json-parses'](args('{"a":1}', null))).toBe(true);
    expect(builtinEvaluators['json-parses'](args('{a:1}', null))).toMatchObject({ score: 0 });
    expect(builtinEvaluators['json-parses'](args({ a: 1 }, null))).toMatchObject({ score: 1 });
  });
});

describe('planning resolves activity options with the documented precedence', () => {
  const registry = createRegistry({
    tasks: {
      agent: {
        steps: [
          { name: 'think', timeout: '2m', heartbeat: true, run: () => 1 },
          { name: 'act', retry: { maximumAttempts: 7 }, run: () => 2 },
        ],
        cleanup: { run: () => undefined },
      },
    },
  });
  test('spec step override, then the step, then the spec-wide defaults', () => {
    const spec = parseSpec({
      name: 'p',
      dataset: { path: 'x.jsonl' },
      task: 'agent',
      timeout: '30s',
      heartbeat: '10s',
      steps: { act: { timeout: '5s' }, cleanup: { timeout: '1m' } },
      evaluators: ['exact-match'],
      evaluation: { timeout: '20s' },
    });
    const plan = registry.plan(spec);
    expect(plan.steps[0]).toMatchObject({ name: 'think', timeout: '2m', heartbeat: '10s' });
    expect(plan.steps[1]).toMatchObject({ name: 'act', timeout: '5s', retry: { maximumAttempts: 7, initialInterval: '1s' } });
    expect(plan.steps[1]).not.toHaveProperty('heartbeat');
    expect(plan.cleanup).toMatchObject({ name: 'cleanup', timeout: '1m' });
    expect(plan.evaluators[0]).toMatchObject({ column: 'exact-match', use: 'exact-match', timeout: '20s', local: true });
  });
  test('a simple function task is one step named run', () => {
    expect(createRegistry().task('echo').steps.map((s) => s.name)).toEqual(['run']);
  });
});

describe('which evaluators run as local activities', () => {
  const registry = createRegistry({
    evaluators: {
      quick: () => 1,
      'calls-a-service': { local: false, evaluate: () => 1 },
      judge: { usesModel: true, evaluate: () => 1 },
    },
  });
  test('code evaluators do; one marked local: false and one that uses the model do not', () => {
    const spec = parseSpec({ name: 'l', dataset: { path: 'x.jsonl' }, task: 'demo-calculator', evaluators: ['exact-match', 'quick', 'calls-a-service', 'judge'] });
    const plans = registry.plan(spec, { modelTaskQueue: 'models' }).evaluators;
    expect(plans.map((p) => [p.column, p.local ?? false, p.taskQueue ?? null])).toEqual([
      ['exact-match', true, null],
      ['quick', true, null],
      ['calls-a-service', false, null],
      ['judge', false, 'models'],
    ]);
  });
});
