/**
 * The baseline: the same conversations as a plain in-process loop, C examples at a time. It calls
 * the agent's own model client and tool functions directly, with nothing durable around them and
 * no retry logic: a model error (a 429 included) ends that example, as it would in a loop that
 * does not handle it. No timeouts, heartbeats, history or records either.
 */
import { performance } from 'node:perf_hooks';
import type { ChatMessage, ChatTool } from '../activities/model/schemas';
import type { AgentDefinition, ToolContext } from '../activities/tasks/agent';
import type { ExampleView } from '../activities/tasks/define';
import { latencyOf, type Latency } from './figures';
import { rssSampler } from './process-stats';

export interface BaselineResult {
  runner: 'baseline';
  examples: number;
  concurrency: number;
  wallMs: number;
  examplesPerSec: number;
  latencyMs: Latency;
  rss: { baselineMb: number; peakMb: number; samples: number };
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
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let succeeded = 0;
  let turns = 0;
  let next = 0;

  /** One conversation: turn, tool calls, turn, ... until an answer. */
  const converse = async (row: Record<string, unknown>): Promise<void> => {
    const view: ExampleView = { id: String(row.id), input: row.input, expected: row.expected ?? null, metadata: {}, row };
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
          const ctx: ToolContext = { ...toolContext(view, signal), turn, callId: call.id };
          const value: unknown = await tool.run(call.parsedArguments, ctx);
          return typeof value === 'string' ? value : JSON.stringify(value);
        }),
      );
      for (const [i, call] of calls.entries()) messages.push({ role: 'tool', tool_call_id: call.id, content: outputs[i] ?? '' });
    }
    throw new Error(`turn limit (${maxTurns}) reached without an answer`);
  };

  const sampler = rssSampler();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(c, rows.length) }, async () => {
      while (next < rows.length) {
        const row = rows[next++] as Record<string, unknown>;
        const start = performance.now();
        try {
          await converse(row);
          succeeded++;
        } catch (err) {
          const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
          failures[reason] = (failures[reason] ?? 0) + 1;
        }
        latencies.push(performance.now() - start);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const rss = sampler.stop();
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

/** The context a tool's first attempt gets in the pipeline, minus the durable parts (no heartbeats, no resume). */
function toolContext(view: ExampleView, signal: AbortSignal): Omit<ToolContext, 'turn' | 'callId'> {
  const sandbox = () => Promise.reject(new Error('the benchmark tools use no sandbox'));
  return { ...view, example: view, repetition: 1, outputs: {}, attempt: 1, resumeFrom: undefined, heartbeat: () => undefined, signal, sandbox };
}
