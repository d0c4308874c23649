/**
 * Inputs and results of the agent loop's activities (one model turn, one tool call, the output
 * hook): what the `example` workflow sends them and keeps in its history.
 */
import type { ChatMessage } from './chat-message';
import type { Example } from './records';

/** The model's message as it goes back into the conversation (tool arguments as JSON text only). */
export type TranscriptMessage = ChatMessage;

export interface AgentTurnInput {
  task: string;
  example: Example;
  repetition: number;
  turn: number;
  /** Everything after the prompt so far. */
  transcript: TranscriptMessage[];
  /** Tokens left of the budget: caps this answer's length. */
  tokensLeft?: number;
}

export interface AgentTurnResult {
  message: TranscriptMessage & { role: 'assistant' };
  finishReason: string | null;
  promptTokens: number;
  completionTokens: number;
  costUsd?: number;
  model: string;
  latencyMs: number;
  attempt: number;
}

export interface AgentToolInput {
  task: string;
  example: Example;
  repetition: number;
  turn: number;
  callId: string;
  tool: string;
  /** The model's arguments, as the JSON text it sent. */
  arguments: string;
}

export interface AgentToolResult {
  /** What the model is shown. */
  content: string;
  /** The call failed in a way the model should hear about (unknown tool, bad arguments). */
  error?: string;
  attempt: number;
  warnings?: string[];
}

export interface AgentOutputInput {
  task: string;
  example: Example;
  answer: string;
  transcript: TranscriptMessage[];
  turns: number;
}
