/** What the floor's workflows and activities share (bench/floor): types only, so the workflow bundle imports no activity code. */
import type { ToolCall } from '../../activities/model/client';
import type { ChatMessage } from '../../activities/model/schemas';

export interface FloorRow {
  id: string;
  input: unknown;
  expected: unknown;
  [column: string]: unknown;
}

export interface FloorRecord {
  id: string;
  output: unknown;
  score: number;
  durationMs: number;
}

export interface FloorActivities {
  readRows(datasetPath: string): Promise<FloorRow[]>;
  runTask(row: FloorRow): Promise<unknown>;
  evaluate(output: unknown, row: FloorRow): Promise<number>;
  /** Appends the records to the experiment's file; returns how many. */
  storeRecords(name: string, records: FloorRecord[]): Promise<number>;
}

export interface FloorAgentActivities {
  /** One model call; on the first turn (no messages yet) `appended` starts with the opening messages. */
  modelTurn(row: FloorRow, messages: ChatMessage[]): Promise<{ appended: ChatMessage[]; calls: ToolCall[] }>;
  toolCall(row: FloorRow, turn: number, call: ToolCall): Promise<string>;
}
