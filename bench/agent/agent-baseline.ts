/**
 * The baseline: the same conversations as a plain in-process loop, C examples at a time. It calls
 * the agent's own model client and tool functions directly, with nothing durable around them and
 * no retry logic: a model error (a 429 included) ends that example, as it would in a loop that
 * does not handle it. No timeouts, heartbeats, history or records either.
 */
import type { AgentDefinition } from '../../activities/tasks/agent';
import { agentClient, modelTurn, openingMessages, runToolCall } from './agent-conversation';
import { latencyOf, type RunFigures } from '../shared/figures';
import { runInProcess } from '../shared/in-process';

export interface BaselineResult extends RunFigures {
  runner: 'baseline';
  succeeded: number;
  failed: number;
  /** Model turns that got an answer, over every example. */
  turns: number;
  /** Failures by reason (the first line of the error), e.g. the 429s of a storm. */
  failures: Record<string, number>;
}

export async function runBaseline(agent: AgentDefinition, rows: Record<string, unknown>[], c: number): Promise<BaselineResult> {
  const client = agentClient(agent);
  const maxTurns = agent.maxTurns ?? 10;
  const failures: Record<string, number> = {};
  let succeeded = 0;
  let turns = 0;

  /** One conversation: turn, tool calls, turn, ... until an answer. */
  const converse = async (row: Record<string, unknown>): Promise<void> => {
    const messages = openingMessages(agent, row);
    const signal = new AbortController().signal;
    for (let turn = 1; turn <= maxTurns; turn++) {
      const { message, calls } = await modelTurn(client, agent, messages, signal);
      turns++;
      messages.push(message);
      if (calls.length === 0) return;
      const outputs = await Promise.all(calls.map((call) => runToolCall(agent, row, turn, call, signal)));
      for (const [i, call] of calls.entries()) messages.push({ role: 'tool', tool_call_id: call.id, content: outputs[i] ?? '' });
    }
    throw new Error(`turn limit (${maxTurns}) reached without an answer`);
  };

  const { wallMs, latencies, rss } = await runInProcess(rows, c, async (row) => {
    try {
      await converse(row);
      succeeded++;
    } catch (err) {
      const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
      failures[reason] = (failures[reason] ?? 0) + 1;
    }
  });
  return {
    runner: 'baseline',
    examples: rows.length,
    concurrency: c,
    wallMs,
    examplesPerSec: (rows.length / wallMs) * 1000,
    latencyMs: latencyOf(latencies),
    rss,
    succeeded,
    failed: rows.length - succeeded,
    turns,
    failures,
  };
}
