/**
 * Benchmark: the durable pipeline (experiment parent + one example child per example, on a
 * fresh Temporal dev server with an in-process worker) against an in-process promise pool
 * running the same task function directly, at the same concurrency.
 *
 *   npm run bench -- [--n 1000] [--c 50] [--tasks noop,sleep200]
 *
 * Prints a table per task and writes every figure to bench/results/latest.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import { workerSettings, type WorkerSettings } from '../workers/config';
import { createWorker } from '../workers/create-worker';
import { experimentWorkflowId } from '../workflows/experiment-contract';
import type { RunRecord } from '../workflows/records';
import type { StepContext } from '../activities/tasks/define';
import { benchModule, benchTasks, type BenchTask } from './bench-tasks';

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  n: number;
  c: number;
  tasks: BenchTask[];
  /** 'file' (default): a temp SQLite file, as a real local setup; 'memory': the dev server's in-memory SQLite, for comparison. */
  serverDb: 'file' | 'memory';
}

function parseArgs(argv: string[]): Options {
  const opts = { n: 1000, c: 50, tasks: 'noop,sleep200', serverDb: 'file' as Options['serverDb'] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--n':
        opts.n = positiveInt(flag, value());
        break;
      case '--c':
        opts.c = positiveInt(flag, value());
        break;
      case '--tasks':
        opts.tasks = value();
        break;
      case '--server-db': {
        const v = value();
        if (v !== 'file' && v !== 'memory') throw new Error(`--server-db: expected file or memory, got '${v}'`);
        opts.serverDb = v;
        break;
      }
      case '-h':
      case '--help':
        console.log('usage: npm run bench -- [--n 1000] [--c 50] [--tasks noop,sleep200] [--server-db file|memory]');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument '${arg}' (try --help)`);
    }
  }
  const tasks = opts.tasks
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((key) => {
      const task = benchTasks[key];
      if (!task) throw new Error(`--tasks: unknown task '${key}'; known: ${Object.keys(benchTasks).join(', ')}`);
      return task;
    });
  if (tasks.length === 0) throw new Error('--tasks: give at least one task');
  if (opts.c > 1000) throw new Error('--c: the experiment spec allows at most 1000');
  return { n: opts.n, c: opts.c, tasks, serverDb: opts.serverDb };
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got '${text}'`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Figures

interface Latency {
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

interface RunnerResult {
  runner: 'pipeline' | 'pool';
  examples: number;
  concurrency: number;
  wallMs: number;
  examplesPerSec: number;
  /** wallMs * C / N - task's own ms. */
  overheadPerExampleMs: number;
  /** Per example, as the runner sees it (pipeline: RunRecord.durationMs; pool: around each call). */
  latencyMs: Latency;
  /** RSS of this process (the pipeline's worker runs in it). */
  rss: { baselineMb: number; peakMb: number; samples: number };
  failed: number;
  pipeline?: PipelineExtras;
}

interface PipelineExtras {
  experimentName: string;
  serverDb: Options['serverDb'];
  serverStartMs: number;
  /** CPU seconds used during the experiment (start → result), and the machine's load. */
  cpu: { benchProcessS: number; devServerS: number | null; wallS: number; cores: number; loadAvg1Before: number; loadAvg1After: number };
  /** Children between StartChildWorkflowExecutionInitiated and their runFinished signal, over the run. */
  inFlight: { timeWeightedMean: number; max: number } | null;
  /** Parent reaction: a runFinished signal → the next StartChildWorkflowExecutionInitiated (while runs remain to start). */
  parentReactionMs: Latency | null;
  /** The parent's own activities (prepare, readExamples, recordRuns, finalize): count and scheduled → completed times. */
  parentActivities: Record<string, { count: number; meanMs: number; maxMs: number }>;
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
  /** Time from the parent's StartChildWorkflowExecutionInitiated to its runFinished signal. */
  parentObservedLatencyMs: Latency | null;
  /** Child-side phases, averaged over a sample of child histories. */
  childPhasesMs: Record<string, number> | null;
  /** Examples finished per 10 s window of the run (from the parent's signal times). */
  completionsPer10s: number[];
  /** First child start and last signal, relative to the experiment's start (ms). */
  firstChildStartMs: number | null;
  lastSignalMs: number | null;
  recordsInStore: number;
  summary: { runs: number; succeeded: number; failed: number; status: string };
}

function latencyOf(values: number[]): Latency {
  if (values.length === 0) return { p50: NaN, p95: NaN, max: NaN, mean: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const pick = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  return { p50: pick(0.5), p95: pick(0.95), max: sorted[sorted.length - 1] ?? NaN, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

function overhead(wallMs: number, c: number, n: number, ownMs: number): number {
  return (wallMs * c) / n - ownMs;
}

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Samples this process's RSS every 200 ms until stopped. */
function rssSampler(): { stop(): { baselineMb: number; peakMb: number; samples: number } } {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
    samples++;
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return { baselineMb: mb(baseline), peakMb: mb(peak), samples: samples + 1 };
    },
  };
}

/** User+system CPU seconds of another process (Linux /proc; null elsewhere). */
function procCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), in clock ticks of 1/100 s on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

// ---------------------------------------------------------------------------------------------
// Pool runner: the same task function, called directly, C at a time.

async function runPool(task: BenchTask, rows: Record<string, unknown>[], c: number): Promise<RunnerResult> {
  const fn = benchModule.tasks[task.task];
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const sampler = rssSampler();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(c, rows.length) }, async () => {
      while (next < rows.length) {
        const row = rows[next++] as Record<string, unknown>;
        const controller = new AbortController();
        const start = performance.now();
        try {
          await fn(row, poolContext(row, controller.signal));
        } catch {
          failed++;
        }
        latencies.push(performance.now() - start);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const rss = sampler.stop();
  return {
    runner: 'pool',
    examples: rows.length,
    concurrency: c,
    wallMs,
    examplesPerSec: (rows.length / wallMs) * 1000,
    overheadPerExampleMs: overhead(wallMs, c, rows.length, task.ownMs),
    latencyMs: latencyOf(latencies),
    rss,
    failed,
  };
}

function poolContext(row: Record<string, unknown>, signal: AbortSignal): StepContext {
  const view = { id: String(row.id), input: row.input, expected: row.expected ?? null, metadata: {}, row };
  return { ...view, example: view, repetition: 1, outputs: {}, attempt: 1, resumeFrom: undefined, heartbeat: () => undefined, signal };
}

// ---------------------------------------------------------------------------------------------
// Pipeline runner: fresh dev server, in-process worker, one experiment.

type HistoryEvent = NonNullable<Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']>[number];

/** The event's type, from whichever `...EventAttributes` field it carries (no proto enum import needed). */
function eventType(ev: HistoryEvent): string {
  for (const [key, value] of Object.entries(ev)) {
    if (key.endsWith('EventAttributes') && value) return key.slice(0, -'EventAttributes'.length);
  }
  return `type-${String(ev.eventType)}`;
}

function eventMs(ev: HistoryEvent): number {
  const t = ev.eventTime;
  if (!t) return NaN;
  return Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6;
}

function countTypes(events: HistoryEvent[], into: Record<string, number> = {}): Record<string, number> {
  for (const ev of events) {
    const type = eventType(ev);
    into[type] = (into[type] ?? 0) + 1;
  }
  return into;
}

async function runPipeline(
  task: BenchTask,
  datasetPath: string,
  n: number,
  c: number,
  workDir: string,
  workflowBundle: { code: string },
  serverDb: Options['serverDb'],
): Promise<RunnerResult> {
  const name = `bench-${task.key}-n${n}-c${c}`;
  const dataDir = join(workDir, `store-${task.key}`);
  const taskQueue = `bench-${task.key}`;

  let t = performance.now();
  const server: DevServer = await startDevServer({
    headless: true,
    ...(serverDb === 'file' ? { dbFile: join(workDir, `temporal-${task.key}.db`) } : {}),
  });
  const serverStartMs = performance.now() - t;
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  let native: NativeConnection | undefined;
  try {
    t = performance.now();
    native = await NativeConnection.connect({ address: server.address });
    const settings: WorkerSettings = {
      ...workerSettings({ dataDir, taskQueue }, {}),
      maxConcurrentActivities: Math.max(2 * c, 100),
      maxConcurrentWorkflowTasks: 100,
      shutdownGraceTime: '2s',
    };
    const worker = await createWorker({ connection: native, namespace: server.namespace, settings, modules: [benchModule], workflowBundle });
    const running = worker.run();
    const workerStartMs = performance.now() - t;
    let workerError: unknown;
    running.catch((err: unknown) => {
      workerError = err;
    });

    try {
      const spec = parseSpec({ name, dataset: { path: datasetPath }, task: task.task, concurrency: c, taskQueue });
      const sampler = rssSampler();
      const cpu0 = { own: ownCpuSeconds(), server: procCpuSeconds(server.process?.pid), load: loadavg()[0] ?? NaN };
      const t0 = performance.now();
      const startedAtMs = Date.now();
      const progress = setInterval(() => process.stdout.write('.'), 5_000);
      let summary;
      try {
        const { handle } = await startExperiment(client, spec, taskQueue);
        summary = await Promise.race([
          handle.result(),
          running.then(() => {
            throw new Error(`worker stopped before the experiment finished: ${String(workerError)}`);
          }),
        ]);
      } finally {
        clearInterval(progress);
      }
      const wallMs = performance.now() - t0;
      const rss = sampler.stop();
      const serverCpu1 = procCpuSeconds(server.process?.pid);
      const cpu = {
        benchProcessS: ownCpuSeconds() - cpu0.own,
        devServerS: serverCpu1 !== null && cpu0.server !== null ? serverCpu1 - cpu0.server : null,
        wallS: wallMs / 1000,
        cores: cpus().length,
        loadAvg1Before: cpu0.load,
        loadAvg1After: loadavg()[0] ?? NaN,
      };
      process.stdout.write(' ');

      const records = readRuns(join(dataDir, 'experiments', name, 'runs.jsonl'));
      const history = await parentHistory(client, name, startedAtMs);
      const children = await childHistories(client, name, n);

      return {
        runner: 'pipeline',
        examples: n,
        concurrency: c,
        wallMs,
        examplesPerSec: (n / wallMs) * 1000,
        overheadPerExampleMs: overhead(wallMs, c, n, task.ownMs),
        latencyMs: latencyOf(records.map((r) => r.durationMs)),
        rss,
        failed: summary.failed,
        pipeline: {
          experimentName: name,
          serverDb,
          serverStartMs,
          cpu,
          workerStartMs,
          ...history,
          parentEventsPerExample: history.parentEvents / n,
          ...children,
          childEventsPerExample: children.childEvents === null ? null : children.childEvents / n,
          recordsInStore: records.length,
          summary: { runs: summary.runs, succeeded: summary.succeeded, failed: summary.failed, status: summary.status },
        },
      };
    } finally {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
    }
  } finally {
    await native?.close();
    await connection.close();
    await server.stop();
  }
}

function readRuns(file: string): RunRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RunRecord);
}

/**
 * Every run of the parent's continue-as-new chain: walks back from the latest run through
 * `continuedExecutionRunId`, and cross-checks the count with a visibility list.
 */
async function parentHistory(client: Client, name: string, startedAtMs: number) {
  const workflowId = experimentWorkflowId(name);
  const latest = await client.workflow.getHandle(workflowId).describe();
  const runs: { runId: string; events: HistoryEvent[] }[] = [];
  for (let runId: string | undefined = latest.runId; runId; ) {
    const events: HistoryEvent[] = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    runs.unshift({ runId, events });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  let parentRunsListed = 0;
  for await (const _ of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) parentRunsListed++;

  const parentEventTypes: Record<string, number> = {};
  let parentEvents = 0;
  let parentHistoryBytes = 0;
  const initiated = new Map<string, number>();
  const observed: number[] = [];
  const signalTimes: number[] = [];
  const inFlightSteps: { at: number; delta: number }[] = [];
  const startTimes: number[] = [];
  const activityScheduled = new Map<string, { type: string; at: number }>();
  const activityTimes: Record<string, number[]> = {};
  const parentWorkflowTaskFailures: PipelineExtras['parentWorkflowTaskFailures'] = [];
  let firstChildStart = Infinity;
  for (const [runIndex, run] of runs.entries()) {
    parentEvents += run.events.length;
    countTypes(run.events, parentEventTypes);
    for (const ev of run.events) {
      const wftFailed = ev.workflowTaskFailedEventAttributes;
      if (wftFailed) {
        parentWorkflowTaskFailures.push({
          run: runIndex + 1,
          eventId: String(ev.eventId),
          cause: wftFailed.cause ?? null,
          message: (wftFailed.failure?.message ?? '').slice(0, 300),
        });
      }
      const start = ev.startChildWorkflowExecutionInitiatedEventAttributes;
      if (start?.workflowId) {
        initiated.set(start.workflowId, eventMs(ev));
        inFlightSteps.push({ at: eventMs(ev), delta: 1 });
        startTimes.push(eventMs(ev));
        firstChildStart = Math.min(firstChildStart, eventMs(ev));
      }
      const scheduled = ev.activityTaskScheduledEventAttributes;
      if (scheduled) activityScheduled.set(`${run.runId}/${String(ev.eventId)}`, { type: scheduled.activityType?.name ?? '?', at: eventMs(ev) });
      const done = ev.activityTaskCompletedEventAttributes ?? ev.activityTaskFailedEventAttributes ?? ev.activityTaskTimedOutEventAttributes;
      if (done) {
        const from = activityScheduled.get(`${run.runId}/${String(done.scheduledEventId)}`);
        if (from) (activityTimes[from.type] ??= []).push(eventMs(ev) - from.at);
      }
      const signal = ev.workflowExecutionSignaledEventAttributes;
      if (signal?.signalName === 'runFinished') {
        const payload = signal.input?.payloads?.[0];
        const record = payload ? defaultPayloadConverter.fromPayload<RunRecord>(payload) : undefined;
        const begun = record ? initiated.get(record.workflowId) : undefined;
        if (begun !== undefined) {
          observed.push(eventMs(ev) - begun);
          inFlightSteps.push({ at: eventMs(ev), delta: -1 });
        }
        signalTimes.push(eventMs(ev));
      }
    }
  }
  // History size as the server reports it for the latest run, plus the earlier runs' sizes.
  for (const run of runs) {
    const d = await client.workflow.getHandle(workflowId, run.runId).describe();
    parentHistoryBytes += Number(d.raw.workflowExecutionInfo?.historySizeBytes ?? 0);
  }
  const completionsPer10s: number[] = [];
  for (const at of signalTimes) {
    const bucket = Math.max(0, Math.floor((at - startedAtMs) / 10_000));
    while (completionsPer10s.length <= bucket) completionsPer10s.push(0);
    completionsPer10s[bucket] = (completionsPer10s[bucket] ?? 0) + 1;
  }
  const lastStart = Math.max(...startTimes);
  const reaction: number[] = [];
  for (const at of signalTimes) {
    if (at > lastStart) continue;
    const next = startTimes.find((t) => t >= at);
    if (next !== undefined) reaction.push(next - at);
  }
  const parentActivities = Object.fromEntries(
    Object.entries(activityTimes).map(([type, xs]) => [
      type,
      { count: xs.length, meanMs: Math.round(xs.reduce((a, b) => a + b, 0) / xs.length), maxMs: Math.round(Math.max(...xs)) },
    ]),
  );
  return {
    inFlight: inFlightStats(inFlightSteps),
    parentReactionMs: reaction.length ? latencyOf(reaction) : null,
    parentActivities,
    parentWorkflowTaskFailures,
    parentRuns: runs.length,
    parentRunsListed,
    parentEvents,
    parentEventTypes,
    parentHistoryBytes,
    parentObservedLatencyMs: observed.length ? latencyOf(observed) : null,
    completionsPer10s,
    firstChildStartMs: Number.isFinite(firstChildStart) ? firstChildStart - startedAtMs : null,
    lastSignalMs: signalTimes.length ? Math.max(...signalTimes) - startedAtMs : null,
  };
}

/** Time-weighted mean and max of a count that steps up and down, between its first and last step. */
function inFlightStats(steps: { at: number; delta: number }[]): { timeWeightedMean: number; max: number } | null {
  if (steps.length < 2) return null;
  const sorted = [...steps].sort((a, b) => a.at - b.at || b.delta - a.delta);
  let level = 0;
  let max = 0;
  let area = 0;
  let prev = sorted[0]?.at ?? 0;
  for (const step of sorted) {
    area += level * (step.at - prev);
    prev = step.at;
    level += step.delta;
    max = Math.max(max, level);
  }
  const span = prev - (sorted[0]?.at ?? 0);
  return { timeWeightedMean: span > 0 ? area / span : NaN, max };
}

const CHILD_SAMPLE = 20;

/** Child history lengths from visibility (all), event types and phases from a sample of full histories. */
async function childHistories(client: Client, name: string, n: number) {
  const query = `WorkflowType = "example" AND DxpExperiment = "${name}"`;
  const deadline = Date.now() + 60_000;
  let childEvents: number | null = null;
  let ids: string[] = [];
  while (Date.now() < deadline) {
    let events = 0;
    let closed = 0;
    const seen: string[] = [];
    for await (const info of client.workflow.list({ query })) {
      seen.push(info.workflowId);
      if (info.status.name !== 'RUNNING' && info.historyLength > 0) {
        closed++;
        events += info.historyLength;
      }
    }
    ids = seen;
    if (closed >= n) {
      childEvents = events;
      break;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }

  const sampleIds = ids.length <= CHILD_SAMPLE ? ids : Array.from({ length: CHILD_SAMPLE }, (_, i) => ids[Math.floor((i * ids.length) / CHILD_SAMPLE)] as string);
  const types: Record<string, number> = {};
  const phases: Record<string, number[]> = {};
  const addPhase = (key: string, ms: number): void => {
    if (Number.isFinite(ms)) (phases[key] ??= []).push(ms);
  };
  for (const id of sampleIds) {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    countTypes(events, types);
    const at = (type: string, nth = 0): number => eventMs(events.filter((ev) => eventType(ev) === type)[nth] as HistoryEvent);
    const started = at('workflowExecutionStarted');
    addPhase('started → first workflow task completed', at('workflowTaskCompleted') - started);
    addPhase('activity scheduled → activity started', at('activityTaskStarted') - at('activityTaskScheduled'));
    addPhase('activity started → activity completed', at('activityTaskCompleted') - at('activityTaskStarted'));
    addPhase('activity completed → signal to parent initiated', at('signalExternalWorkflowExecutionInitiated') - at('activityTaskCompleted'));
    addPhase('signal initiated → parent signaled', at('externalWorkflowExecutionSignaled') - at('signalExternalWorkflowExecutionInitiated'));
    addPhase('started → completed (child total)', at('workflowExecutionCompleted') - started);
  }
  const mean = (xs: number[]): number => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10;
  return {
    childEvents,
    childEventTypesSample: sampleIds.length ? Object.fromEntries(Object.entries(types).map(([k, v]) => [k, v / sampleIds.length])) : null,
    childSampleSize: sampleIds.length,
    childPhasesMs: sampleIds.length ? Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, mean(v)])) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Output

function fmt(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  return value.toFixed(digits);
}

function table(headers: string[], rows: string[][]): string {
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

function report(task: BenchTask, results: RunnerResult[]): string {
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
        r.pipeline ? fmt(r.pipeline.parentEventsPerExample, 2) : '-',
        r.pipeline?.childEventsPerExample != null ? fmt(r.pipeline.childEventsPerExample, 2) : '-',
        String(r.failed),
      ]),
    ),
  );
  const p = results.find((r) => r.pipeline)?.pipeline;
  if (p) {
    out.push(
      `pipeline detail: server start ${fmt(p.serverStartMs / 1000, 1)} s, worker start ${fmt(p.workerStartMs / 1000, 1)} s; ` +
        `first child started at +${fmt((p.firstChildStartMs ?? NaN) / 1000, 2)} s, last report at +${fmt((p.lastSignalMs ?? NaN) / 1000, 2)} s; ` +
        `records in store ${p.recordsInStore}; summary ${p.summary.status} ${p.summary.succeeded}/${p.summary.runs} ok`,
    );
    const share = p.cpu.devServerS !== null ? ((p.cpu.benchProcessS + p.cpu.devServerS) / p.cpu.wallS / p.cpu.cores) * 100 : NaN;
    out.push(
      `  CPU during the experiment: bench process (worker + client) ${fmt(p.cpu.benchProcessS)} s, dev server (${p.serverDb} SQLite) ${fmt(p.cpu.devServerS)} s, ` +
        `over ${fmt(p.cpu.wallS)} s wall on ${p.cpu.cores} cores = ${fmt(share, 0)}% of the machine; 1-min load average ${fmt(p.cpu.loadAvg1Before, 2)} before, ${fmt(p.cpu.loadAvg1After, 2)} after`,
    );
    if (p.inFlight) {
      out.push(`  children in flight (initiated → reported): time-weighted mean ${fmt(p.inFlight.timeWeightedMean)}, max ${p.inFlight.max} (concurrency ${results[0]?.concurrency})`);
    }
    if (p.parentReactionMs) {
      out.push(
        `  parent reaction (runFinished signal → next StartChildWorkflowExecutionInitiated): p50 ${fmt(p.parentReactionMs.p50)} ms, ` +
          `p95 ${fmt(p.parentReactionMs.p95)} ms, max ${fmt(p.parentReactionMs.max)} ms`,
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
    const cpuMs = p.cpu.devServerS !== null ? ((p.cpu.benchProcessS + p.cpu.devServerS) * 1000) / (results[0]?.examples ?? 1) : NaN;
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
        `  parent-observed latency (StartChildWorkflowExecutionInitiated → runFinished signal): p50 ${fmt(p.parentObservedLatencyMs.p50)} ms, ` +
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
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startRss = process.memoryUsage().rss;
  const opts = parseArgs(process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const workDir = mkdtempSync(join(tmpdir(), 'dxp-bench-'));
  const benchStart = performance.now();
  console.log(
    `pipeline-vs-pool: N=${opts.n} examples, C=${opts.c}, tasks ${opts.tasks.map((t) => t.key).join(', ')}; ` +
      `dev server db ${opts.serverDb}; node ${process.version}, ${cpus().length} CPU(s), ${mb(totalmem())} MB RAM; ` +
      `1-min load average ${fmt(loadavg()[0], 2)}; bench process RSS at start ${fmt(mb(startRss), 0)} MB; work dir ${workDir}`,
  );

  const rows = Array.from({ length: opts.n }, (_, i) => ({ id: `ex-${String(i).padStart(6, '0')}`, input: `input ${i}`, expected: `input ${i}` }));
  const datasetPath = join(workDir, 'dataset.jsonl');
  writeFileSync(datasetPath, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  // The pool gets the rows as the pipeline's tasks see them: parsed from the same file.
  const poolRows = readFileSync(datasetPath, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

  let t = performance.now();
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: new DefaultLogger('WARN') });
  console.log(`workflow bundle built in ${fmt((performance.now() - t) / 1000, 1)} s`);

  const byTask: { task: BenchTask; results: RunnerResult[] }[] = [];
  for (const task of opts.tasks) {
    process.stdout.write(`[${task.key}] pipeline `);
    t = performance.now();
    const pipeline = await runPipeline(task, datasetPath, opts.n, opts.c, workDir, workflowBundle, opts.serverDb);
    console.log(`done in ${fmt((performance.now() - t) / 1000, 1)} s (experiment ${fmt(pipeline.wallMs / 1000, 1)} s)`);
    process.stdout.write(`[${task.key}] pool `);
    const pool = await runPool(task, poolRows, opts.c);
    console.log(`done in ${fmt(pool.wallMs / 1000, 2)} s`);
    byTask.push({ task, results: [pipeline, pool] });
  }

  for (const { task, results } of byTask) console.log(report(task, results));
  console.log(
    '\nformulas: overhead per example = wall time × C / N − task own time (what each example costs its concurrency slot beyond the task itself).\n' +
      'latency: pipeline = RunRecord.durationMs from the store (child workflow start → record built, as seen by the child); pool = measured around each call.\n' +
      'memory: the worker runs in the bench process, so peak RSS is the whole bench process sampled every 200 ms (includes the Temporal core runtime and workflow isolates; the dev server is a separate process and is not counted).\n' +
      'parent ev/ex = events in every run of the experiment workflow chain / N; child ev/ex = historyLength of all example workflows (visibility) / N.',
  );
  const totalS = (performance.now() - benchStart) / 1000;
  console.log(`bench total ${fmt(totalS, 1)} s`);

  const outDir = resolve(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, 'latest.json');
  writeFileSync(
    outFile,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpus: cpus().length,
        totalMemMb: mb(totalmem()),
        n: opts.n,
        concurrency: opts.c,
        serverDb: opts.serverDb,
        startRssMb: mb(startRss),
        loadAvg1AtStart: loadavg()[0],
        totalSeconds: totalS,
        formulas: {
          overheadPerExampleMs: 'wallMs * concurrency / n - task.ownMs',
          latency: 'pipeline: RunRecord.durationMs; pool: around each call',
          rss: 'bench process RSS (in-process worker), sampled every 200 ms',
          parentEventsPerExample: 'sum of history events over every run of the experiment continue-as-new chain / n',
          childEventsPerExample: 'sum of example workflows historyLength (visibility) / n',
        },
        tasks: byTask.map(({ task, results }) => ({ task: task.key, registeredAs: task.task, ownMs: task.ownMs, results })),
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`figures written to ${outFile}`);
  rmSync(workDir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
