/**
 * The agent parts of `dxp demo --agent`: which model the in-process worker talks to (the offline
 * scripted model unless OPENAI_API_KEY is set) and a per-run table of what each agent run used,
 * read from the local store (the experiment summary has no per-run detail).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_OPENAI_BASE_URL } from '../../activities/model/config';
import { startScriptedModel } from './scripted-model';
import type { RunRecord } from '../../core/records';
import { PROJECT_ROOT } from '../temporal-cli';

export const AGENT_DEMO_SPEC = join(PROJECT_ROOT, 'examples', 'agent', 'experiment.yaml');
// Resolved, not named: tasks.ts in a checkout (run through tsx), the compiled tasks.js in the installed package's dist/.
export const AGENT_DEMO_TASKS = require.resolve('../../examples/agent/tasks');
export const AGENT_DEMO_TASK_QUEUE = 'dxp-demo-agent';
export const DEFAULT_DEMO_MODEL = 'gpt-4o-mini';


/**
 * The model settings of the demo's worker (its `serviceEnv`): `env` with the demo's model, the
 * offline scripted one unless OPENAI_API_KEY is set. `env` itself is left as it is. `stop()` stops
 * the scripted model.
 */
export async function prepareDemoModel(env: NodeJS.ProcessEnv = process.env): Promise<{ env: NodeJS.ProcessEnv; stop(): Promise<void> }> {
  if (env.OPENAI_API_KEY?.trim()) {
    const name = env.DXP_MODEL || DEFAULT_DEMO_MODEL;
    process.stdout.write(`OPENAI_API_KEY is set: the agent uses ${name} at ${env.OPENAI_BASE_URL || DEFAULT_OPENAI_BASE_URL} (billed as usual).\n`);
    return { env: { ...env, DXP_MODEL: name }, stop: async () => undefined };
  }
  // DXP_SCRIPTED_MODEL_LOG: where the scripted model logs what it was sent (the demo test reads it).
  const model = await startScriptedModel(env.DXP_SCRIPTED_MODEL_LOG ? { logFile: env.DXP_SCRIPTED_MODEL_LOG } : {});
  process.stdout.write(
    `OPENAI_API_KEY is unset: the agent talks to the offline scripted model at ${model.baseUrl}, which replays\n` +
      '  examples/agent/scripted-attempts.json (set OPENAI_API_KEY, and OPENAI_BASE_URL and DXP_MODEL if needed, for a real model).\n',
  );
  return {
    env: { ...env, OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: model.apiKey, DXP_MODEL: model.model },
    stop: () => model.stop(),
  };
}

/** One line per run: how the agent stopped, turns, tool calls, tokens, and the evaluators' verdicts. */
export function formatAgentRuns(runs: RunRecord[]): string {
  const sorted = [...runs].sort((a, b) => a.exampleId.localeCompare(b.exampleId) || a.repetition - b.repetition);
  const width = Math.max(...sorted.map((r) => r.exampleId.length), 7);
  const lines = ['  agent runs (stop reason, turns, tool calls, tokens, evaluations):'];
  for (const run of sorted) {
    const a = run.agent;
    const usage = a ? `${a.stopReason.padEnd(12)} ${pad(a.turns, 2)} turns ${pad(a.toolCalls, 2)} tools ${pad(a.totalTokens, 6)} tokens` : 'no agent stats'.padEnd(41);
    const evals = Object.entries(run.evaluations)
      .map(([name, e]) => `${name} ${e.error ? `error: ${e.error}` : `${e.score?.toFixed(2) ?? '-'} ${e.label ?? ''}`.trim()}`)
      .join('; ');
    lines.push(`    ${run.exampleId.padEnd(width)}  ${usage}  ${evals}`);
  }
  return lines.join('\n');
}

/** The runs of an experiment in the local store (empty when there are none). */
export function readStoredRuns(dataDir: string, experiment: string): RunRecord[] {
  const file = join(dataDir, 'experiments', experiment, 'runs.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RunRecord);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width);
}
