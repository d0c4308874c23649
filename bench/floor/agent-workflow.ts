/**
 * The floor of the durable agent loop, for `npm run bench:agent` (bench/agent/agent-floor.ts): one
 * workflow per example, each model turn one activity and each tool call one activity, on one task
 * queue, nothing else (no parent, no rate-limited model queue, no records, no step timings).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ChatMessage } from '../../activities/model/schemas';
import type { FloorAgentActivities, FloorRow } from './contract';

const { modelTurn, toolCall } = proxyActivities<FloorAgentActivities>({ startToCloseTimeout: '1m' });

export async function floorAgent(input: { row: FloorRow; maxTurns: number }): Promise<{ turns: number; durationMs: number }> {
  const startedAt = Date.now();
  const messages: ChatMessage[] = [];
  for (let turn = 1; turn <= input.maxTurns; turn++) {
    const { appended, calls } = await modelTurn(input.row, messages);
    messages.push(...appended);
    if (calls.length === 0) return { turns: turn, durationMs: Date.now() - startedAt };
    const outputs = await Promise.all(calls.map((call) => toolCall(input.row, turn, call)));
    for (const [i, call] of calls.entries()) messages.push({ role: 'tool', tool_call_id: call.id, content: outputs[i] ?? '' });
  }
  throw new Error(`turn limit (${input.maxTurns}) reached without an answer`);
}
