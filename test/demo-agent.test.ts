/**
 * `dxp demo --agent` as a user runs it, offline: `node bin/dxp.js` against a test dev server, the
 * scripted model, real bubblewrap sandboxes running python3. Checked from the run records in the
 * local store and from the scripted model's log of what the model was sent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DevServer } from '../client/dev-server';
import { readStoredRuns } from '../client/demo/agent-demo';
import { startScriptedModel } from '../client/demo/scripted-model';
import type { RunRecord } from '../core/records';
import { runDxp, type CliResult } from './helpers/cli';
import { PROJECT_ROOT } from './helpers/processes';
import { startTestServer, tempDir } from './helpers/temporal';

const PROBLEMS = join(PROJECT_ROOT, 'examples', 'agent', 'problems.jsonl');
/** Problems whose scripted attempts end in a correct solution. */
const SOLVED = ['fizzbuzz', 'is_prime', 'is_palindrome', 'roman_to_int', 'reverse_words'];

interface Problem {
  id: string;
  visible_tests: Array<[string, unknown]>;
  hidden_tests: Array<[string, unknown]>;
}

let dir: string;
let server: DevServer;
let demo: CliResult;
let byId: Map<string, RunRecord>;
const problems: Problem[] = readFileSync(PROBLEMS, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as Problem);

beforeAll(async () => {
  dir = tempDir('dxp-demo-agent-');
  server = await startTestServer();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    DXP_DATA_DIR: join(dir, 'data'),
    DXP_SCRIPTED_MODEL_LOG: join(dir, 'model-requests.jsonl'),
  };
  // Offline: whatever model this machine is configured for, the demo must use the scripted one.
  for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'DXP_MODEL', 'DXP_MODEL_PRICES']) delete env[name];
  demo = await runDxp(['demo', '--agent', '--no-keep'], { cwd: dir, env });
  const name = /Experiment (agent-demo-\S+) started/.exec(demo.stdout)?.[1];
  if (demo.code !== 0 || !name) throw new Error(`dxp demo --agent failed (exit ${demo.code}):\n${demo.stdout}\n${demo.stderr}`);
  byId = new Map(readStoredRuns(join(dir, 'data'), name).map((r) => [r.exampleId, r]));
}, 100_000);

afterAll(async () => {
  await server?.stop();
});

test('every problem runs; solved ones pass the hidden tests, one after a failed run_tests; the stuck one hits its turn limit', () => {
  expect([...byId.keys()].sort()).toEqual(problems.map((p) => p.id).sort());
  for (const run of byId.values()) {
    expect(run.agent?.totalTokens).toBeGreaterThan(0);
    expect(run.agent?.models).toEqual(['scripted-coder']);
  }
  for (const id of SOLVED) {
    const run = byId.get(id)!;
    expect({ id, error: run.error, stop: run.agent?.stopReason }).toEqual({ id, error: undefined, stop: 'answer' });
    expect(run.evaluations['hidden-tests']).toMatchObject({ score: 1, label: 'pass' });
  }
  // A retry: the first run_tests failed and the fixed code passed.
  const palindrome = byId.get('is_palindrome')!;
  expect(palindrome.agent).toMatchObject({ toolCalls: 2, turns: 3 });
  expect(palindrome.output).toMatchObject({ lastTestRun: '3 of 3 tests passed' });

  // Passes its visible tests, fails the hidden negative cases.
  expect(byId.get('running_max')!.evaluations['hidden-tests']).toMatchObject({ score: 0.5, label: 'fail' });
  expect(byId.get('running_max')!.evaluations['hidden-tests']?.explanation).toMatch(/first failure: FAIL running_max\(\[-5, -2, -9\]\)/);

  const stuck = byId.get('merge_intervals')!;
  expect(stuck.error).toBe('agent reached its turn limit (6 turns) without a final answer');
  expect(stuck.agent).toMatchObject({ stopReason: 'max-turns', turns: 6, toolCalls: 6 });
  expect(stuck.evaluations['hidden-tests']).toMatchObject({ score: 0, label: 'fail' });

  // The printed summary: evaluator totals and the per-run table with turns and tokens.
  expect(demo.stdout).toContain('scripted model');
  expect(demo.stdout).toMatch(/runs 7: 6 succeeded, 1 failed/);
  expect(demo.stdout).toMatch(/hidden-tests: mean score 0\.786 over 7; labels pass=5 fail=2/);
  expect(demo.stdout).toMatch(/agent: \d+ model turns, \d+ tool calls, \d+ tokens/);
  expect(demo.stdout).toMatch(/merge_intervals\s+max-turns\s+6 turns\s+6 tools\s+\d+ tokens\s+hidden-tests 0\.00 fail/);
});

test('the hidden tests never reach the model; the visible ones do, through run_tests', () => {
  const requests = readFileSync(join(dir, 'model-requests.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown);
  // Every model turn of every run is logged (a retried turn would be logged twice).
  expect(requests.length).toBeGreaterThanOrEqual([...byId.values()].reduce((n, r) => n + (r.agent?.turns ?? 0), 0));
  const seen = requests.flatMap(texts).join('\n');
  for (const p of problems) {
    for (const [call] of p.hidden_tests) expect({ id: p.id, leaked: seen.includes(call) ? call : null }).toEqual({ id: p.id, leaked: null });
    // The scan does see tool output: every visible test shows up in run_tests results.
    for (const [call] of p.visible_tests) expect(seen).toContain(call);
  }
});

test('the scripted model refuses a request without its key', async () => {
  const model = await startScriptedModel();
  try {
    const body = JSON.stringify({ model: model.model, messages: [{ role: 'user', content: 'Problem id: fizzbuzz' }] });
    const wrong = await fetch(`${model.baseUrl}/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer nope' }, body });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${model.baseUrl}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${model.apiKey}` }, body });
    const answer = (await right.json()) as { choices: Array<{ message: { tool_calls?: Array<{ function: { name: string } }> } }>; usage: { total_tokens: number } };
    expect(answer.choices[0]?.message.tool_calls?.[0]?.function.name).toBe('run_tests');
    expect(answer.usage.total_tokens).toBeGreaterThan(0);
    expect(model.requests()).toHaveLength(1);
  } finally {
    await model.stop();
  }
});

/** Every string in a request, with JSON text inside strings (tool arguments and results) decoded too. */
function texts(value: unknown): string[] {
  if (typeof value === 'string') {
    try {
      const inner = JSON.parse(value) as unknown;
      if (typeof inner === 'object' && inner !== null) return [value, ...texts(inner)];
    } catch {
      // plain text
    }
    return [value];
  }
  if (Array.isArray(value)) return value.flatMap(texts);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(texts);
  return [];
}
