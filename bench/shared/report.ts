/** What the benchmark prints: the opening line, one table (plus pipeline detail) per task, and the formulas. */
import { cpus, loadavg, totalmem } from 'node:os';
import type { Options } from '../pipeline/args';
import type { BenchTask } from './bench-tasks';
import type { PipelineExtras, RunnerResult } from './figures';
import { mb } from './process-stats';

/** Fixed digits; 'n/a' for figures that could not be measured (NaN, null). */
export function fmt(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  return value.toFixed(digits);
}

/** The machine and settings, so figures from different runs can be compared fairly. */
export function runHeader(opts: Options, startRss: number, workDir: string): string {
  return (
    `pipeline-vs-pool: N=${opts.n} examples, C=${opts.c}, tasks ${opts.tasks.map((t) => t.key).join(', ')}; ` +
    `dev server db ${opts.serverDb}; node ${process.version}, ${cpus().length} CPU(s), ${mb(totalmem())} MB RAM; ` +
    `1-min load average ${fmt(loadavg()[0], 2)}; bench process RSS at start ${fmt(mb(startRss), 0)} MB; work dir ${workDir}`
  );
}

export const FORMULAS =
  '\nformulas: overhead per example = wall time × C / N − task own time (what each example costs its concurrency slot beyond the task itself).\n' +
  'latency: pipeline = RunRecord.durationMs from the store (child workflow start → record built, as seen by the child); pool = measured around each call.\n' +
  'memory: the worker runs in the bench process, so peak RSS is the whole bench process sampled every 200 ms (includes the Temporal core runtime and workflow isolates; the dev server is a separate process and is not counted).\n' +
  'parent ev/ex = events in every run of the experiment workflow chain / N; child ev/ex = historyLength of all example workflows (visibility) / N.\n' +
  'vs floor = pipeline figure / floor figure, each on a fresh dev server with the same worker slots; CPU ms/ex: worker = bench process CPU / N (the worker runs in it), server = dev server CPU / N; events/ex = parent + child.';

/** One task's figures: the runners side by side, then what the pipeline's histories show. */
export function report(task: BenchTask, results: RunnerResult[]): string {
  const out: string[] = [];
  out.push(`\n== task ${task.key} (${task.task}, own time ${task.ownMs} ms per example) ==`);
  out.push(
    table(
      ['runner', 'wall s', 'examples/s', 'overhead ms/ex', 'p50 ms', 'p95 ms', 'peak RSS MB', 'parent ev/ex', 'child ev/ex', 'failed'],
      results.map((r) => [
        r.runner,
        fmt(r.wallMs / 1000, 2),
        fmt(r.examplesPerSec, 1),
        fmt(r.overheadPerExampleMs, 2),
        fmt(r.latencyMs.p50, 1),
        fmt(r.latencyMs.p95, 1),
        `${fmt(r.rss.peakMb, 0)} (base ${fmt(r.rss.baselineMb, 0)})`,
        histories(r) ? fmt(histories(r)!.parentEventsPerExample, 2) : '-',
        histories(r)?.childEventsPerExample != null ? fmt(histories(r)!.childEventsPerExample, 2) : '-',
        String(r.failed),
      ]),
    ),
  );
  const p = results.find((r) => r.pipeline);
  const floor = results.find((r) => r.floor);
  if (p && floor) out.push(vsFloor(p, floor));
  if (p?.pipeline) out.push(...pipelineDetail(p.pipeline, results[0]));
  return out.join('\n');
}

const histories = (r: RunnerResult) => r.pipeline ?? r.floor;

/** CPU ms per example of the worker's process and of the dev server. */
function cpuPerExample(r: RunnerResult): { worker: number; server: number } {
  const cpu = (r.pipeline ?? r.floor)!.cpu;
  return { worker: (cpu.benchProcessS * 1000) / r.examples, server: cpu.devServerS === null ? NaN : (cpu.devServerS * 1000) / r.examples };
}

/** The pipeline as ratios to its floor: pace, CPU per example, events per example. */
export function vsFloor(p: RunnerResult, floor: RunnerResult): string {
  const pc = cpuPerExample(p);
  const fc = cpuPerExample(floor);
  const events = (r: RunnerResult) => (histories(r)!.parentEventsPerExample ?? NaN) + (histories(r)!.childEventsPerExample ?? NaN);
  const ratio = (a: number, b: number) => fmt(a / b, 2);
  return (
    `vs floor: examples/s ${fmt(p.examplesPerSec)} / ${fmt(floor.examplesPerSec)} = ${ratio(p.examplesPerSec, floor.examplesPerSec)}; ` +
    `CPU ms/ex server ${fmt(pc.server)} / ${fmt(fc.server)} = ${ratio(pc.server, fc.server)}, worker ${fmt(pc.worker)} / ${fmt(fc.worker)} = ${ratio(pc.worker, fc.worker)}, ` +
    `both ${fmt(pc.server + pc.worker)} / ${fmt(fc.server + fc.worker)} = ${ratio(pc.server + pc.worker, fc.server + fc.worker)}; ` +
    `events/ex ${fmt(events(p), 2)} / ${fmt(events(floor), 2)} = ${ratio(events(p), events(floor))}; ` +
    `1-min load ${fmt(histories(p)!.cpu.loadAvg1Before, 2)} → ${fmt(histories(p)!.cpu.loadAvg1After, 2)} (pipeline), ${fmt(histories(floor)!.cpu.loadAvg1Before, 2)} → ${fmt(histories(floor)!.cpu.loadAvg1After, 2)} (floor)`
  );
}

/** Column widths from the widest cell; the first column left-aligned, numbers right-aligned. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The WorkflowTaskFailedCause values worth naming here (temporal.api.enums.v1). */
const WFT_FAILED_CAUSES: Record<number, string> = {
  1: 'UNHANDLED_COMMAND',
  13: 'RESET_STICKY_TASK_QUEUE',
  14: 'WORKFLOW_WORKER_UNHANDLED_FAILURE',
  24: 'NON_DETERMINISTIC_ERROR',
  26: 'PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED',
  28: 'PENDING_SIGNALS_LIMIT_EXCEEDED',
};

/** Where the pipeline's time and events went; `first` is the first runner's result, for C and N. */
function pipelineDetail(p: PipelineExtras, first: RunnerResult | undefined): string[] {
  const out: string[] = [];
  out.push(
    `pipeline detail: server start ${fmt(p.serverStartMs / 1000, 1)} s, worker start ${fmt(p.workerStartMs / 1000, 1)} s; ` +
      `first child started at +${fmt((p.firstChildStartMs ?? NaN) / 1000, 2)} s, last report at +${fmt((p.lastReportMs ?? NaN) / 1000, 2)} s; ` +
      `records in store ${p.recordsInStore}; summary ${p.summary.status} ${p.summary.succeeded}/${p.summary.runs} ok`,
  );
  const share = p.cpu.devServerS !== null ? ((p.cpu.benchProcessS + p.cpu.devServerS) / p.cpu.wallS / p.cpu.cores) * 100 : NaN;
  out.push(
    `  CPU during the experiment: bench process (worker + client) ${fmt(p.cpu.benchProcessS)} s, dev server (${p.serverDb} SQLite) ${fmt(p.cpu.devServerS)} s, ` +
      `over ${fmt(p.cpu.wallS)} s wall on ${p.cpu.cores} cores = ${fmt(share, 0)}% of the machine; 1-min load average ${fmt(p.cpu.loadAvg1Before, 2)} before, ${fmt(p.cpu.loadAvg1After, 2)} after`,
  );
  if (p.inFlight) {
    out.push(`  children in flight (initiated → reported): time-weighted mean ${fmt(p.inFlight.timeWeightedMean)}, max ${p.inFlight.max} (concurrency ${first?.concurrency})`);
  }
  if (p.parentReactionMs) {
    out.push(
      `  parent reaction (report → next StartChildWorkflowExecutionInitiated): p50 ${fmt(p.parentReactionMs.p50)} ms, ` +
        `p95 ${fmt(p.parentReactionMs.p95)} ms, max ${fmt(p.parentReactionMs.max)} ms`,
    );
  }
  if (p.continueAsNewPausesMs.length) {
    out.push(
      `  continue-as-new pauses (last start → continued as new → next generation's first start): ` +
        p.continueAsNewPausesMs.map((c) => `${fmt(c.toContinue, 0)} + ${fmt(c.toNextStart, 0)} ms`).join('; '),
    );
  }
  out.push(
    `  parent activities (scheduled → completed): ` +
      Object.entries(p.parentActivities)
        .map(([type, a]) => `${type} ×${a.count} mean ${a.meanMs} ms max ${a.maxMs} ms`)
        .join('; '),
  );
  for (const f of p.parentWorkflowTaskFailures) {
    const cause = f.cause === null ? '?' : (WFT_FAILED_CAUSES[f.cause] ?? `WorkflowTaskFailedCause ${f.cause}`);
    out.push(`  parent workflow task failed (run ${f.run}, event ${f.eventId}): ${cause}: ${f.message || 'no message'}`);
  }
  const cpuMs = p.cpu.devServerS !== null ? ((p.cpu.benchProcessS + p.cpu.devServerS) * 1000) / (first?.examples ?? 1) : NaN;
  out.push(`  CPU per example: ${fmt(cpuMs)} ms (bench process + dev server CPU time during the experiment / N)`);
  out.push(
    `  parent: ${p.parentRuns} run(s) in the continue-as-new chain (visibility lists ${p.parentRunsListed}), ${p.parentEvents} events, ` +
      `${fmt(p.parentHistoryBytes / 1024, 0)} KiB of history`,
  );
  const topTypes = Object.entries(p.parentEventTypes)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  out.push(`  parent events by type: ${topTypes}`);
  if (p.parentObservedLatencyMs) {
    out.push(
      `  parent-observed latency (StartChildWorkflowExecutionInitiated → report): p50 ${fmt(p.parentObservedLatencyMs.p50)} ms, ` +
        `p95 ${fmt(p.parentObservedLatencyMs.p95)} ms, max ${fmt(p.parentObservedLatencyMs.max)} ms`,
    );
  }
  if (p.childEventTypesSample) {
    out.push(
      `  child events by type (mean of ${p.childSampleSize} sampled): ` +
        Object.entries(p.childEventTypesSample)
          .map(([k, v]) => `${k} ${fmt(v, 1)}`)
          .join(', '),
    );
  }
  if (p.childPhasesMs) {
    out.push(
      `  child phases (mean of ${p.childSampleSize} sampled, ms): ` +
        Object.entries(p.childPhasesMs)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join('; '),
    );
  }
  out.push(`  examples finished per 10 s window: ${p.completionsPer10s.join(' ')}`);
  return out;
}
