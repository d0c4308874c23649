/** Planning agent tasks: limits and options from the agent and the spec, and what is refused. */
import { defineAgent } from '../activities/tasks/agent';
import { createRegistry, InvalidPlanError } from '../activities/tasks/registry';
import { parseSpec } from '../client/spec-file';

const tool = { description: 'd', parameters: { type: 'object' }, run: () => 'ok' };
const registry = createRegistry({
  tasks: {
    solver: defineAgent({
      prompt: () => 'hi',
      tools: { search: { ...tool, timeout: '20s' }, run_code: tool },
      model: { heartbeat: '10s' },
      maxTurns: 6,
      tokenBudget: 1_000,
    }),
  },
});

function spec(extra: Record<string, unknown> = {}) {
  return parseSpec({ name: 'p', dataset: { path: 'x.jsonl' }, task: 'solver', ...extra });
}

test('an agent plans model turns on the model queue, tools on the task queue, with the agent limits', () => {
  const plan = registry.plan(spec(), { modelTaskQueue: 'q-model' });
  expect(plan.steps).toEqual([]);
  expect(plan.agent).toMatchObject({
    maxTurns: 6,
    tokenBudget: 1_000,
    hasOutput: false,
    turn: { timeout: '3m', heartbeat: '10s', taskQueue: 'q-model', retry: { maximumAttempts: 8 } },
  });
  expect(plan.agent?.tools.search).toMatchObject({ timeout: '20s' });
  expect(plan.agent?.tools.search?.taskQueue).toBeUndefined();
  expect(plan.agent?.tools.run_code).toMatchObject({ timeout: '5m' });
});

test("the spec's agent limits and steps.turn / steps.<tool> override the agent's", () => {
  const plan = registry.plan(
    spec({ agent: { maxTurns: 2, tokenBudget: 50 }, steps: { turn: { timeout: '30s' }, run_code: { timeout: '1m', retry: { maximumAttempts: 1 } } } }),
  );
  expect(plan.agent).toMatchObject({ maxTurns: 2, tokenBudget: 50, turn: { timeout: '30s', heartbeat: '10s' } });
  expect(plan.agent?.tools.run_code).toMatchObject({ timeout: '1m', retry: { maximumAttempts: 1 } });
});

test('unknown step names, agent limits on a plain task, and bad agents are refused with the reason', () => {
  expect(() => registry.plan(spec({ steps: { think: { timeout: '1s' } } }))).toThrow(
    "steps.think: task 'solver' has no such step; its model turns (turn) and tools: turn, search, run_code",
  );
  expect(() => registry.plan(spec({ task: 'echo', agent: { maxTurns: 3 } }))).toThrow("agent: task 'echo' is not an agent task");
  expect(() => registry.task('solver')).toThrow(InvalidPlanError);
  expect(() => createRegistry({ tasks: { a: defineAgent({ prompt: () => '', tools: { turn: tool } }) } })).toThrow('reserved for model turns');
  expect(() => createRegistry({ tasks: { a: defineAgent({ prompt: () => '', tools: { 'no spaces': tool } }) } })).toThrow('1-64 letters');
  expect(() => createRegistry({ tasks: { a: defineAgent({ prompt: () => '', maxTurns: 0 }) } })).toThrow('maxTurns must be a positive integer');
  expect(() => parseSpec({ name: 'p', dataset: { path: 'x.jsonl' }, task: 'solver', agent: { maxTurns: 0 } })).toThrow(/agent\.maxTurns/);
});
