/** What the floor's workflows and activities share (bench/floor): types only, so the workflow bundle imports no activity code. */
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
