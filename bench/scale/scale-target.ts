/** What the scale benchmark needs of a Temporal server to measure an experiment on it (scale-dev.ts and scale-cluster.ts start one). */
import type { TargetKind } from './scale-args';

export interface StoredBytes {
  /** Temporal's own storage: histories, mutable state, visibility. */
  temporal: number;
  /** The results store: PostgreSQL's dxp_results, or the worker's local folder. */
  results: number;
}

export interface ScaleTarget {
  kind: TargetKind;
  /** What the server keeps its state in, for the report. */
  describe: string;
  address: string;
  namespace: string;
  /** The worker's results store settings and data dir. */
  workerEnv: Record<string, string>;
  dataDir: string;
  /** CPU seconds so far of the server and of the database (null: the database is inside the server). */
  cpuSeconds(): { server: number | null; database: number | null };
  storedBytes(): StoredBytes;
  /** Always called, also after a failure; stops everything and removes its files. */
  stop(): Promise<void>;
}
