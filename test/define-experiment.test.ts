/**
 * The authoring API by value: `defineExperiment` maps onto a task module and a spec; the evaluator
 * factories are the built-ins with typed options; evaluators get the same context as steps
 * (`row`, `sandbox()`), on a real server with a real worker; and `dxp run <module>` runs one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { builtinEvaluators } from '../activities/tasks/builtins';
import { defineExperiment } from '../activities/tasks/define-experiment';
import { contains, exactMatch, jsonParses, regex } from '../activities/tasks/evaluator-factories';
import { createRegistry } from '../activities/tasks/registry';
import { startExperiment } from '../client/experiments';
import type { DevServer } from '../client/dev-server';
import { loadSpecFile, parseSpec, SpecError } from '../client/spec-file';
import type { ExperimentSummary, RunRecord } from '../core/records';
import byValue from './fixtures/by-value-experiment';
import { dxpEnv, runDxp } from './helpers/cli';
import { PROJECT_ROOT } from './helpers/processes';
import { connectTestClient, startTestServer, startTestWorker, tempDir, writeJsonl, type RunningWorker } from './helpers/temporal';

const EXAMPLE = join(PROJECT_ROOT, 'examples', 'by-value', 'experiment.ts');
const signal = new AbortController().signal;
const run = (output: unknown, expected: unknown, params: Record<string, unknown> = {}) => ({ output, expected, input: null, row: {}, metadata: {}, params, signal });

describe('defineExperiment maps onto a task module and a spec', () => {
  const experiment = defineExperiment({
    name: 'mapped',
    dataset: { path: 'rows.jsonl' },
    task: (row) => row.input,
    evaluators: { same: exactMatch(), quick: () => 1 },
    repetitions: 2,
  });

  test('the task and evaluators are registered by the names the spec uses', () => {
    expect(Object.keys(experiment.tasks)).toEqual(['mapped']);
    expect(Object.keys(experiment.evaluators)).toEqual(['mapped:same', 'mapped:quick']);
    expect(experiment.spec).toEqual({
      name: 'mapped',
      dataset: { path: 'rows.jsonl' },
      task: 'mapped',
      evaluators: [
        { name: 'same', use: 'mapped:same' },
        { name: 'quick', use: 'mapped:quick' },
      ],
      repetitions: 2,
    });
  });

  test('the spec plans against a registry of the module, with result columns by the given names', () => {
    const plan = createRegistry(experiment).plan(parseSpec(experiment.spec));
    expect(plan.evaluators.map((e) => [e.column, e.use])).toEqual([
      ['same', 'mapped:same'],
      ['quick', 'mapped:quick'],
    ]);
    expect(plan.steps.map((s) => s.name)).toEqual(['run']);
  });

  test("an experiment's evaluator named like a built-in does not replace the built-in for other specs", () => {
    const registry = createRegistry(defineExperiment({ name: 'shadow', dataset: { path: 'x.jsonl' }, task: () => 1, evaluators: { 'exact-match': () => 0 } }));
    expect(registry.evaluator('exact-match').evaluate).toBe(builtinEvaluators['exact-match']);
    expect(registry.evaluatorNames()).toContain('shadow:exact-match');
  });

  test('loadSpecFile reads a defineExperiment module, its dataset relative to the module; a plain task module is refused', () => {
    const spec = loadSpecFile(EXAMPLE);
    expect(spec).toMatchObject({ name: 'calculator-by-value', task: 'calculator-by-value', concurrency: 8, timeout: '30s' });
    expect(spec.dataset).toEqual({ path: join(PROJECT_ROOT, 'examples', 'demo', 'dataset.jsonl') });
    expect(() => loadSpecFile(join(PROJECT_ROOT, 'test', 'fixtures', 'tasks.ts'))).toThrow(SpecError);
    expect(() => loadSpecFile(join(PROJECT_ROOT, 'test', 'fixtures', 'tasks.ts'))).toThrow(/a task module, not an experiment/);
  });
});

describe('evaluator factories are the built-ins with typed options', () => {
  test('exactMatch binds trim and case; without them it is the strict built-in', async () => {
    expect(await exactMatch().evaluate(run(' 37 ', '37'))).toBe(false);
    expect(await exactMatch({ trim: true }).evaluate(run(' 37 ', '37'))).toBe(true);
    expect(await exactMatch({ trim: true }).evaluate(run('Paris', 'paris'))).toBe(false);
    expect(await exactMatch({ caseSensitive: false }).evaluate(run('Paris', 'paris'))).toBe(true);
  });

  test("a spec's with: wins over the factory's options, option by option", async () => {
    const evaluator = exactMatch({ trim: true, caseSensitive: false });
    expect(await evaluator.evaluate(run(' Paris ', 'paris', { caseSensitive: true }))).toBe(false);
    expect(await evaluator.evaluate(run(' paris ', 'paris', { caseSensitive: true }))).toBe(true);
  });

  test('contains, regex and jsonParses', async () => {
    expect(await contains({ texts: ['a', 'b'] }).evaluate(run('a and b', null))).toMatchObject({ score: 1 });
    expect(await contains({ texts: ['a', 'z'] }).evaluate(run('a and b', null))).toMatchObject({ score: 0, explanation: 'missing: z' });
    expect(await regex({ pattern: /^hello/i }).evaluate(run('HELLO there', null))).toBe(true);
    expect(await regex({ pattern: '^hello' }).evaluate(run('HELLO there', null))).toBe(false);
    expect(await regex({ pattern: '^hello', flags: 'i' }).evaluate(run('HELLO there', null))).toBe(true);
    expect(await jsonParses().evaluate(run('{"a": 1}', null))).toBe(true);
    expect(await jsonParses().evaluate(run('{a: 1}', null))).toMatchObject({ score: 0, label: 'False' });
  });

  test('a pattern that does not compile is refused when the evaluator is made', () => {
    expect(() => regex({ pattern: '(unclosed' })).toThrow(SyntaxError);
  });
});

describe('on a real server', () => {
  let server: DevServer;
  let client: Client;
  let worker: RunningWorker;
  let dir: string;
  const taskQueue = 'define-experiment-test';
  const savedSandbox = process.env.DXP_SANDBOX;

  beforeAll(async () => {
    dir = tempDir('dxp-define-experiment-');
    delete process.env.DXP_SANDBOX; // auto: bubblewrap where it works, else the weak provider
    server = await startTestServer();
    client = await connectTestClient(server);
    worker = await startTestWorker(server, { dataDir: join(dir, 'store'), taskQueue, tasksModule: join(PROJECT_ROOT, 'test', 'fixtures', 'by-value-experiment.ts') });
  });

  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    await server?.stop();
    if (savedSandbox === undefined) delete process.env.DXP_SANDBOX;
    else process.env.DXP_SANDBOX = savedSandbox;
  });

  function storedRuns(name: string): RunRecord[] {
    return readFileSync(join(dir, 'store', 'experiments', name, 'runs.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as RunRecord);
  }

  test('evaluators get the context of a step: the row by its one name and a sandbox, torn down after them, local or not', async () => {
    const rows = [
      { id: 'a', input: 2, expected: ' 4 ', answer: '4' },
      { id: 'b', input: 5, expected: '10', answer: '11' },
    ];
    const spec = parseSpec({ ...byValue.spec, dataset: { path: writeJsonl(dir, 'by-value.jsonl', rows) }, taskQueue });
    const { handle } = await startExperiment(client, spec, taskQueue);
    const summary = await handle.result();
    expect(summary).toMatchObject({ runs: 2, succeeded: 2, failed: 0 });

    const runs = new Map(storedRuns(spec.name).map((r) => [r.exampleId, r]));
    for (const [id, expected] of [['a', 1], ['b', 0]] as const) {
      const evaluations = runs.get(id)?.evaluations ?? {};
      // exactMatch({ trim: true }), not the strict built-in of the same name: ' 4 ' matches '4'.
      expect(evaluations['exact-match']).toMatchObject({ score: 1 });
      for (const column of ['local-sandbox', 'remote-sandbox']) {
        const evaluation = evaluations[column];
        expect(evaluation).toMatchObject({ score: expected, label: String(Number(rows.find((r) => r.id === id)!.input) * 2), metadata: { attempt: 1, sameRow: true } });
        const workDir = (evaluation?.metadata as { workDir?: string } | undefined)?.workDir;
        expect(typeof workDir).toBe('string');
        expect(existsSync(workDir!)).toBe(false);
      }
    }
  });

  test('`dxp run <module>` runs a defineExperiment module on workers that load the same file', async () => {
    const runWorker = await startTestWorker(server, { dataDir: join(dir, 'cli-store'), taskQueue: 'define-experiment-cli', tasksModule: EXAMPLE });
    try {
      const result = await runDxp(['run', EXAMPLE, '--wait', '--json', '--task-queue', 'define-experiment-cli'], {
        cwd: dir,
        env: dxpEnv({ TEMPORAL_ADDRESS: server.address }),
      });
      expect(result.stderr).not.toMatch(/invalid/);
      const summary = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as ExperimentSummary;
      const dataset = readFileSync(join(PROJECT_ROOT, 'examples', 'demo', 'dataset.jsonl'), 'utf8').trim().split('\n');
      expect(summary.runs).toBe(dataset.length);
      expect(Object.keys(summary.evaluators).sort()).toEqual(['correct', 'is-number', 'op-in-question']);
      const runs = new Map(
        readFileSync(join(dir, 'cli-store', 'experiments', 'calculator-by-value', 'runs.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as RunRecord)
          .map((r) => [r.exampleId, r]),
      );
      expect(runs.get('q01')).toMatchObject({ output: '37', evaluations: { correct: { score: 1 }, 'is-number': { score: 1 }, 'op-in-question': { score: 1 } } });
      expect(runs.get('q03')).toMatchObject({ output: '0.555556', evaluations: { correct: { score: 1 } } });
      expect(result.code).toBe(0); // a finished experiment exits 0, failed examples and all
    } finally {
      await runWorker.stop();
    }
  });
});
