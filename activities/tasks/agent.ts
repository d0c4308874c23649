/**
 * The authoring API of agent tasks: a model with tools, run as a durable loop. The `example`
 * workflow drives the loop; every model turn and every tool call is its own activity, so a
 * crash resumes at the call that was in flight and never pays again for a completed one.
 *
 * ```ts
 * export default defineTasks({
 *   tasks: {
 *     solver: defineAgent({
 *       system: 'Solve the problem; check your answer with run_tests.',
 *       prompt: (ex) => String(ex.input),
 *       tools: { run_tests: { description: '...', parameters: {...}, run: async (args, ctx) => '...' } },
 *       maxTurns: 8,
 *       tokenBudget: 50_000,
 *     }),
 *   },
 * });
 * ```
 */
import type { ModelClient } from '../model/client';
import type { ChatMessage } from '../model/schemas';
import type { Duration, RetrySpec } from '../../core/spec';
import type { ActivityDefaults, ExampleView, StepContext } from './context';

/** What a tool's `run` gets: the example, the call, and the step helpers (heartbeat, signal, sandbox). */
export interface ToolContext extends StepContext {
  /** 1-based model turn that asked for this call. */
  turn: number;
  /** The model's id of this tool call. */
  callId: string;
}

export interface AgentTool<Args = Record<string, unknown>> extends ActivityDefaults {
  /** Tells the model what the tool does and when to use it. */
  description: string;
  /** JSON Schema of the arguments object, sent to the model as is. */
  parameters: Record<string, unknown>;
  /**
   * Runs the call; what it returns goes back to the model (a string as is, anything else as JSON).
   * A throw is retried by the tool's retry policy; when the retries are spent the model sees
   * `error: <message>` and can try something else. Throw `NonRetryableError` to skip the retries.
   */
  run(args: Args, ctx: ToolContext): unknown;
  /** Heartbeat on a timer while the tool runs (default true when it has a heartbeat timeout). */
  autoHeartbeat?: boolean;
}

export interface AgentModelOptions {
  /** Default: the worker's `DXP_MODEL`. */
  name?: string;
  temperature?: number;
  /** Tokens of one answer (also capped by what is left of the token budget). */
  maxTokens?: number;
  /** Of one model call attempt; default 3m. */
  timeout?: Duration;
  /** Default 30s: the call heartbeats on a timer, so a dead worker is noticed this soon. */
  heartbeat?: Duration;
  /** Default: 8 attempts, so a 429 storm is waited out (each delay from `Retry-After`). */
  retry?: RetrySpec;
}

/** The finished conversation, for `output`. */
export interface AgentResult {
  /** The model's final answer (its last message without tool calls). */
  answer: string;
  example: ExampleView;
  /** Everything after the prompt: assistant messages and tool results, in order. */
  transcript: ChatMessage[];
  turns: number;
}

export interface AgentDefinition {
  /** The system message. */
  system?: string;
  /** The conversation's opening for one example: a user message, or messages. */
  prompt(example: ExampleView): string | ChatMessage[];
  tools?: Record<string, AgentTool<any>>; // eslint-disable-line @typescript-eslint/no-explicit-any -- each tool types its own args
  model?: AgentModelOptions;
  /** Model turns before the run fails with `max-turns`; default 10. The spec's `agent.maxTurns` wins. */
  maxTurns?: number;
  /** Total tokens (prompt + completion) of one example's calls; unlimited by default. The spec's `agent.tokenBudget` wins. */
  tokenBudget?: number;
  /** Tool results longer than this are cut (with a note to the model), default 16,000 characters. */
  maxToolResultChars?: number;
  /** The run's output from the finished conversation; default: the final answer. Runs in its own activity. */
  output?(result: AgentResult): unknown;
  /** Default: the worker's shared client from its environment (OPENAI_BASE_URL, OPENAI_API_KEY). */
  client?: ModelClient | (() => ModelClient);
}

/** An agent task, as `tasks: { name: defineAgent({...}) }` registers it. */
export interface AgentTask {
  agent: AgentDefinition;
}

export const AGENT_DEFAULTS = {
  maxTurns: 10,
  maxToolResultChars: 16_000,
  /** The step name of model turns in the spec's `steps` overrides (tools go by their names). */
  turnStep: 'turn',
  turn: {
    timeout: '3m',
    heartbeat: '30s',
    retry: { maximumAttempts: 8, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  },
} as const;

/** Identity helper that types an agent task. */
export function defineAgent(agent: AgentDefinition): AgentTask {
  return { agent };
}

export function isAgentTask(def: unknown): def is AgentTask {
  return typeof def === 'object' && def !== null && 'agent' in def && typeof (def as AgentTask).agent?.prompt === 'function';
}
