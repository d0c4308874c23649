/**
 * The figures each runner produces, and the two formulas shared by both runners, so the
 * pipeline and the pool are measured the same way.
 */
import type { Options } from '../pipeline/args';
import type { CpuFigures } from './dev-server';

export interface Latency {
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

/** What every runner of both benchmarks measures. */
export interface RunFigures {
  examples: number;
  concurrency: number;
  wallMs: number;
  examplesPerSec: number;
  /** Per example, as the runner sees it (pipeline: RunRecord.durationMs; in-process: around each call). */
  latencyMs: Latency;
  /** RSS of this process (the pipeline's worker runs in it). */
  rss: { baselineMb: number; peakMb: number; samples: number };
}

export interface RunnerResult extends RunFigures {
  runner: 'pipeline' | 'floor' | 'pool';
  /** wallMs * C / N - task's own ms. */
  overheadPerExampleMs: number;
  failed: number;
  pipeline?: PipelineExtras;
  floor?: FloorExtras;
}

/** What the floor (bench/floor) shows of its histories and CPU, for the ratios against it. */
export interface FloorExtras {
  cpu: CpuFigures;
  parentEvents: number;
  parentEventsPerExample: number;
  parentHistoryBytes: number;
  childEvents: number | null;
  childEventsPerExample: number | null;
  childEventTypesSample: Record<string, number> | null;
  recordsStored: number;
}

/** Diagnostics only the pipeline has: where its time and events go. */
export interface PipelineExtras {
  experimentName: string;
  serverDb: Options['serverDb'];
  serverStartMs: number;
  cpu: CpuFigures;
  /** Children between StartChildWorkflowExecutionInitiated and their report (runFinished signal or close), over the run. */
  inFlight: { timeWeightedMean: number; max: number } | null;
  /** Parent reaction: a report (runFinished signal or child closed) → the next StartChildWorkflowExecutionInitiated (while runs remain to start). */
  parentReactionMs: Latency | null;
  /** The parent's own activities (prepare, readExamples, recordRuns, finalize): count and scheduled → completed times. */
  parentActivities: Record<string, { count: number; meanMs: number; maxMs: number }>;
  /**
   * Each continue-as-new's pause in starts: the generation's last StartChildWorkflowExecutionInitiated
   * → its WorkflowExecutionContinuedAsNew (the handover, and the drain where there is one), and that
   * → the next generation's first start.
   */
  continueAsNewPausesMs: { toContinue: number; toNextStart: number }[];
  /** Failed workflow tasks of the parent: cause (WorkflowTaskFailedCause number) and message. */
  parentWorkflowTaskFailures: { run: number; eventId: string; cause: number | null; message: string }[];
  workerStartMs: number;
  /** Runs of the parent's continue-as-new chain. */
  parentRuns: number;
  parentRunsListed: number;
  parentEvents: number;
  parentEventsPerExample: number;
  parentEventTypes: Record<string, number>;
  parentHistoryBytes: number;
  childEvents: number | null;
  childEventsPerExample: number | null;
  childEventTypesSample: Record<string, number> | null;
  childSampleSize: number;
  /** Time from the parent's StartChildWorkflowExecutionInitiated to its report (runFinished signal or close). */
  parentObservedLatencyMs: Latency | null;
  /** Child-side phases, averaged over a sample of child histories. */
  childPhasesMs: Record<string, number> | null;
  /** Examples finished per 10 s window of the run (from the times of the reports in the parent). */
  completionsPer10s: number[];
  /** First child start and last signal, relative to the experiment's start (ms). */
  firstChildStartMs: number | null;
  lastReportMs: number | null;
  recordsInStore: number;
  summary: { runs: number; succeeded: number; failed: number; status: string };
}

/** Nearest-rank percentiles (no interpolation); NaN for no values so the table shows n/a. */
export function latencyOf(values: number[]): Latency {
  if (values.length === 0) return { p50: NaN, p95: NaN, max: NaN, mean: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const pick = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  return { p50: pick(0.5), p95: pick(0.95), max: sorted[sorted.length - 1] ?? NaN, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

/** The pace figures every runner of `npm run bench` gives the same way, from its wall time and latencies. */
export function paceFigures(
  n: number,
  c: number,
  wallMs: number,
  ownMs: number,
  latencies: number[],
  rss: RunFigures['rss'],
): RunFigures & { overheadPerExampleMs: number } {
  return { examples: n, concurrency: c, wallMs, examplesPerSec: (n / wallMs) * 1000, overheadPerExampleMs: overhead(wallMs, c, n, ownMs), latencyMs: latencyOf(latencies), rss };
}

/** What each example costs its concurrency slot beyond the task's own time. */
export function overhead(wallMs: number, c: number, n: number, ownMs: number): number {
  return (wallMs * c) / n - ownMs;
}
