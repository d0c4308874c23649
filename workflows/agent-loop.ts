/**
 * The durable agent loop, run by the `example` workflow for an agent task: model turn, then the
 * tool calls it asked for, until the model answers without tools, the turn limit or the token
 * budget. Every turn and every tool call is its own activity: after a crash the workflow replays
 * the completed ones from history and re-runs only the call that was in flight.
 */
import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { AgentActivities } from '../activities/agent-activities';
import type { AgentToolResult, AgentTurnResult, TranscriptMessage } from '../core/agent-io';
import { toActivityOptions } from './activity-options';
import { failedAttempts, failureWarnings, warningsOf } from './failures';
import { timedStep } from './step-timing';
import type { ActivityPlan, AgentPlan, AgentStats, Example, StepTiming, TaskPlan } from '../core/records';
import type { TaskOutcome } from './task-steps';

// Options are given per call (executeWithOptions); these only satisfy the proxy's defaults.
const activities = proxyActivities<AgentActivities>({ startToCloseTimeout: '1m' });

/** Every turn's input carries the conversation: past this it would near Temporal's 2 MB payload limit. */
const MAX_TRANSCRIPT_CHARS = 1_500_000;
/** History size at which a long conversation continues in a new run (Temporal's hard limit is 50 MB). */
const CONTINUE_AS_NEW_BYTES = 10 * 1024 * 1024;

export interface AgentOutcome extends TaskOutcome {
  agent: AgentStats;
}

/** The loop's state at a turn boundary, carried into a new run when the conversation is long. */
export interface AgentCarryOver {
  nextTurn: number;
  transcript: TranscriptMessage[];
  stats: AgentStats;
  steps: StepTiming[];
}

/** The outcome, or the state to continue as new with (nothing is in flight then). */
export type AgentRun = AgentOutcome | { continueAsNew: AgentCarryOver };

export async function runAgent(plan: TaskPlan, agent: AgentPlan, ex: Example, repetition: number, resume?: AgentCarryOver): Promise<AgentRun> {
  const base = { task: plan.task, example: ex, repetition };
  const steps: StepTiming[] = resume?.steps ?? [];
  const transcript: TranscriptMessage[] = resume?.transcript ?? [];
  const stats: AgentStats = resume?.stats ?? {
    stopReason: 'max-turns',
    turns: 0,
    toolCalls: 0,
    toolErrors: 0,
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    models: [],
  };
  const firstTurn = resume?.nextTurn ?? 1;
  let answer: string | undefined;
  let error: string | undefined;

  for (let turn = firstTurn; turn <= agent.maxTurns; turn++) {
    // Each turn adds its input (the whole conversation) to history: a long one moves to a fresh run.
    if (turn > firstTurn && historyIsLong()) return { continueAsNew: { nextTurn: turn, transcript, stats, steps } };
    const transcriptChars = JSON.stringify(transcript).length;
    if (transcriptChars > MAX_TRANSCRIPT_CHARS) {
      stats.stopReason = 'error';
      error = `the conversation is too long to send (${transcriptChars} characters after ${stats.turns} turns): lower maxToolResultChars or maxTurns`;
      break;
    }
    const tokensLeft = agent.tokenBudget === undefined ? undefined : agent.tokenBudget - stats.totalTokens;
    if (tokensLeft !== undefined && tokensLeft <= 0) {
      stats.stopReason = 'token-budget';
      error = `agent spent its token budget (${stats.totalTokens} of ${agent.tokenBudget} tokens) in ${stats.turns} turns without a final answer`;
      break;
    }
    const outcome = await timedStep(
      steps,
      `turn ${turn}`,
      () =>
        activities.agentTurn.executeWithOptions(toActivityOptions(agent.turn, `turn ${turn}`), [
          { ...base, turn, transcript, ...(tokensLeft !== undefined ? { tokensLeft } : {}) },
        ]),
      { ok: (r) => ({ attempts: r.attempt }), failed: (err, reason) => ({ attempts: failedAttempts(err), error: reason }) },
    );
    if (!outcome.ok) {
      stats.stopReason = 'error';
      error = `turn ${turn} failed: ${outcome.reason}`;
      break;
    }
    const result = outcome.value;
    count(stats, result);
    // Shown in the Temporal UI while the run goes on (a query, not a history event).
    const budget = agent.tokenBudget === undefined ? '' : ` of ${agent.tokenBudget}`;
    setCurrentDetails(`**agent** turn ${turn} of ${agent.maxTurns}: ${stats.totalTokens}${budget} tokens, ${stats.toolCalls} tool calls so far`);
    transcript.push(result.message);
    const calls = result.message.tool_calls ?? [];
    if (calls.length === 0) {
      answer = result.message.content ?? '';
      stats.stopReason = 'answer';
      break;
    }
    // The model may ask for several calls at once: they run side by side; results go back in its order.
    const results = await Promise.all(calls.map((call) => callTool(agent, base, turn, call, steps)));
    for (const [i, call] of calls.entries()) {
      const toolResult = results[i]!;
      stats.toolCalls++;
      if (toolResult.error !== undefined) stats.toolErrors++;
      transcript.push({ role: 'tool', tool_call_id: call.id, content: toolResult.content });
    }
  }

  if (answer === undefined && error === undefined) {
    error = `agent reached its turn limit (${agent.maxTurns} turns) without a final answer`;
  }
  let output: unknown = null;
  if (answer !== undefined) {
    output = answer;
    if (agent.hasOutput) {
      const outcome = await timedStep(
        steps,
        'output',
        () =>
          activities.agentOutput.executeWithOptions({ startToCloseTimeout: '1m', retry: { maximumAttempts: 3 }, summary: 'agent output' }, [
            { task: plan.task, example: ex, answer, transcript, turns: stats.turns },
          ]),
        { ok: () => ({}), failed: (_err, reason) => ({ error: reason }) },
      );
      if (outcome.ok) output = outcome.value;
      else {
        error = `agent output failed: ${outcome.reason}`;
        output = null;
      }
    }
  }
  return { output, ...(error !== undefined ? { error } : {}), steps, agent: stats };
}

const UNKNOWN_TOOL: ActivityPlan = { timeout: '1m', retry: { maximumAttempts: 3 } };

type ToolCallMessage = NonNullable<AgentTurnResult['message']['tool_calls']>[number];

/** One tool call; a failure after its retries becomes an `error:` result the model sees, not the run's end. */
async function callTool(
  agent: AgentPlan,
  base: { task: string; example: Example; repetition: number },
  turn: number,
  call: ToolCallMessage,
  steps: StepTiming[],
): Promise<AgentToolResult> {
  const name = call.function.name;
  // An unknown tool is refused by the activity at once; these options only schedule that answer.
  const options = agent.tools[name] ?? UNKNOWN_TOOL;
  const outcome = await timedStep(
    steps,
    `turn ${turn} tool ${name}`,
    () =>
      activities.agentTool.executeWithOptions(toActivityOptions(options, `turn ${turn} tool ${name}`), [
        { ...base, turn, callId: call.id, tool: name, arguments: call.function.arguments },
      ]),
    {
      ok: (result) => ({ attempts: result.attempt, ...(result.error !== undefined ? { error: result.error } : {}), ...warningsOf(result) }),
      failed: (err, reason) => ({ attempts: failedAttempts(err), error: reason, ...failureWarnings(err) }),
    },
  );
  if (outcome.ok) return outcome.value;
  return { content: `error: ${outcome.reason}`, error: outcome.reason, attempt: failedAttempts(outcome.err) ?? 0 };
}

function historyIsLong(): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historySize > CONTINUE_AS_NEW_BYTES;
}

function count(stats: AgentStats, turn: AgentTurnResult): void {
  stats.turns++;
  stats.promptTokens += turn.promptTokens;
  stats.completionTokens += turn.completionTokens;
  stats.totalTokens += turn.promptTokens + turn.completionTokens;
  if (turn.costUsd !== undefined) stats.costUsd = Math.round(((stats.costUsd ?? 0) + turn.costUsd) * 1e10) / 1e10;
  if (!stats.models.includes(turn.model)) stats.models.push(turn.model);
}
