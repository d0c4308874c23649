/**
 * The baseline: the same conversations as a plain in-process loop, C examples at a time. It calls
 * the agent's own model client and tool functions directly, with nothing durable around them and
 * no retry logic: a model error (a 429 included) ends that example, as it would in a loop that
 * does not handle it. No timeouts, heartbeats, history or records either.
 */
import type { ChatMessage, ChatTool } from '../activities/model/schemas';
import type { AgentDefinition, ToolContext } from '../activities/tasks/agent';
import { latencyOf, type RunFigures } from './figures';
import { exampleView, firstAttemptContext, runInProcess } from './in-process';

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
  const client = typeof agent.client === 'function' ? agent.client() : agent.client;
  if (!client) throw new Error('the benchmark agent names its model client');
  const tools: ChatTool[] = Object.entries(agent.tools ?? {}).map(([name, tool]) => ({
    type: 'function',
    function: { name, description: tool.description, parameters: tool.parameters },
  }));
  const maxTurns = agent.maxTurns ?? 10;
  const failures: Record<string, number> = {};
  let succeeded = 0;
  let turns = 0;

  /** One conversation: turn, tool calls, turn, ... until an answer. */
  const converse = async (row: Record<string, unknown>): Promise<void> => {
    const view = exampleView(row);
    const opening = agent.prompt(view);
    const messages: ChatMessage[] = [
      ...(agent.system ? [{ role: 'system' as const, content: agent.system }] : []),
      ...(typeof opening === 'string' ? [{ role: 'user' as const, content: opening }] : opening),
    ];
    const signal = new AbortController().signal;
    for (let turn = 1; turn <= maxTurns; turn++) {
      const result = await client.chat(
        {
          messages,
          ...(agent.model?.name ? { model: agent.model.name } : {}),
          tools,
          ...(agent.model?.temperature !== undefined ? { temperature: agent.model.temperature } : {}),
        },
        { signal },
      );
      turns++;
      const calls = result.message.tool_calls ?? [];
      messages.push({ role: 'assistant', content: result.message.content, ...(calls.length > 0 ? { tool_calls: calls.map(({ id, type, function: fn }) => ({ id, type, function: fn })) } : {}) });
      if (calls.length === 0) return;
      const outputs = await Promise.all(
        calls.map(async (call) => {
          const tool = agent.tools?.[call.function.name];
          if (!tool) return `error: unknown tool '${call.function.name}'`;
          const ctx: ToolContext = { ...firstAttemptContext(view, signal, 'the benchmark tools use no sandbox'), turn, callId: call.id };
          const value: unknown = await tool.run(call.parsedArguments, ctx);
          return typeof value === 'string' ? value : JSON.stringify(value);
        }),
      );
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
