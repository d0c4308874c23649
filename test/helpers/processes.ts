/**
 * Test harness for crash tests: `dxp worker` as a real child process (so it can be SIGKILLed),
 * the ledger that the `ledgered` fixture task writes, and small polling helpers.
 *
 * Every process started here is remembered; call `killAllWorkerProcesses()` in afterAll (it is
 * also done on process exit as a last resort) so a failing test never leaves a worker behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { LedgerEntry } from '../fixtures/tasks';

export type { LedgerEntry } from '../fixtures/tasks';

export const PROJECT_ROOT = resolve(__dirname, '..', '..');
const DXP_BIN = join(PROJECT_ROOT, 'bin', 'dxp.js');
const FIXTURE_TASKS = join(PROJECT_ROOT, 'test', 'fixtures', 'tasks.ts');
const READY_LINE = 'dxp worker on';
const OUTPUT_LIMIT = 20_000;

export interface WorkerProcessOptions {
  /** host:port of the Temporal frontend. */
  address: string;
  namespace?: string;
  taskQueue: string;
  /** DXP_MODEL_TASK_QUEUE; default `<taskQueue>-model`. */
  modelTaskQueue?: string;
  /** DXP_MODEL_RATE: model calls per second across every worker of the model queue; default none. */
  modelRate?: number;
  dataDir: string;
  /** Prebuilt workflow bundle (see `workflowBundleFile()`): avoids bundling in each process. */
  workflowBundle: string;
  /** DXP_TEST_LEDGER: where the fixture tasks write their side effects. */
  ledger: string;
  /** Task module; default: test/fixtures/tasks.ts. */
  tasks?: string;
  /** Grace time of a SIGTERM shutdown (DXP_SHUTDOWN_GRACE); default '2s'. */
  shutdownGrace?: string;
  /** A label for messages, e.g. 'worker A'. */
  name?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** How long to wait for the "dxp worker on" line; default 60 s. */
  readyTimeoutMs?: number;
  /** Pause after the ready line so the pollers are up; default 500 ms. */
  settleMs?: number;
}

export interface WorkerProcess {
  name: string;
  pid: number;
  process: ChildProcess;
  /** Last OUTPUT_LIMIT characters of stdout and stderr, interleaved as they came. */
  output(): string;
  /** Null while the process runs. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | null;
  isRunning(): boolean;
  /** SIGKILL, and wait until the process is gone: simulates a crash. Resolves with the time of death. */
  kill(): Promise<number>;
  /** SIGTERM (graceful drain), SIGKILL after `timeoutMs` (default 15 s); waits until exited. */
  stop(timeoutMs?: number): Promise<void>;
  /** A message for a failed assertion: exit status and recent output. */
  describe(): string;
}

const live = new Set<WorkerProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort (the test process is going away without afterAll): never leak a worker.
  process.once('exit', () => {
    for (const w of live) {
      try {
        w.process.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** The environment of a worker process: ours, minus connection settings that would point elsewhere. */
function workerEnv(opts: WorkerProcessOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('TEMPORAL_') && key !== 'TEMPORAL_CLI_PATH') continue;
    if (key.startsWith('DXP_')) continue;
    env[key] = value;
  }
  return {
    ...env,
    TEMPORAL_ADDRESS: opts.address,
    TEMPORAL_NAMESPACE: opts.namespace ?? 'default',
    DXP_TASK_QUEUE: opts.taskQueue,
    ...(opts.modelTaskQueue ? { DXP_MODEL_TASK_QUEUE: opts.modelTaskQueue } : {}),
    ...(opts.modelRate !== undefined ? { DXP_MODEL_RATE: String(opts.modelRate) } : {}),
    DXP_DATA_DIR: opts.dataDir,
    DXP_WORKFLOW_BUNDLE: opts.workflowBundle,
    DXP_TEST_LEDGER: opts.ledger,
    DXP_SHUTDOWN_GRACE: opts.shutdownGrace ?? '2s',
    DXP_LOG_LEVEL: 'WARN',
    ...opts.env,
  };
}

/** Starts `dxp worker --tasks <module>` and resolves once it is polling. */
export async function startWorkerProcess(opts: WorkerProcessOptions): Promise<WorkerProcess> {
  installExitHook();
  const name = opts.name ?? 'worker';
  const startedAt = Date.now();
  const child = spawn(process.execPath, [DXP_BIN, 'worker', '--tasks', opts.tasks ?? FIXTURE_TASKS], {
    cwd: PROJECT_ROOT,
    env: workerEnv(opts),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let ready = false;
  let exitStatus: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const readyWaiters: (() => void)[] = [];
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
    if (!ready && output.includes(READY_LINE)) {
      ready = true;
      for (const w of readyWaiters.splice(0)) w();
    }
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exitStatus = { code, signal };
      live.delete(handle);
      for (const w of readyWaiters.splice(0)) w();
      resolveExit();
    });
  });
  // A spawn error (e.g. ENOENT) is followed by 'exit' only sometimes: record it either way.
  child.once('error', (err) => {
    output += `\n[spawn error] ${err.message}`;
    exitStatus ??= { code: -1, signal: null };
    for (const w of readyWaiters.splice(0)) w();
  });

  const handle: WorkerProcess = {
    name,
    pid: child.pid ?? -1,
    process: child,
    output: () => output,
    exit: () => exitStatus,
    isRunning: () => exitStatus === null,
    async kill() {
      if (exitStatus === null) {
        child.kill('SIGKILL');
        await exited;
      }
      return Date.now();
    },
    async stop(timeoutMs = 15_000) {
      if (exitStatus !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
    describe() {
      const status = exitStatus ? `exited (code ${exitStatus.code}, signal ${exitStatus.signal})` : 'running';
      return `${name} (pid ${child.pid}) ${status}; output:\n${output.trim() || '(none)'}`;
    },
  };
  live.add(handle);

  const timeoutMs = opts.readyTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolveReady) => {
    if (ready || exitStatus) return resolveReady();
    readyWaiters.push(resolveReady);
    timer = setTimeout(resolveReady, timeoutMs);
  });
  clearTimeout(timer);
  if (!ready) {
    const why = exitStatus ? 'it exited' : `no "${READY_LINE}" line after ${timeoutMs} ms`;
    await handle.kill();
    throw new Error(`${name} did not start: ${why}. ${handle.describe()}`);
  }
  await sleep(opts.settleMs ?? 500);
  if (exitStatus) throw new Error(`${name} exited right after starting. ${handle.describe()}`);
  console.log(`${name} (pid ${handle.pid}) polling after ${Date.now() - startedAt} ms`);
  return handle;
}

/** SIGKILLs every worker process still running: for afterAll/afterEach. */
export async function killAllWorkerProcesses(): Promise<void> {
  await Promise.all([...live].map((w) => w.kill().catch(() => undefined)));
}

/** Entries of the ledger so far; a torn last line (a writer killed mid-append) is skipped. */
export function readLedger(path: string): LedgerEntry[] {
  if (!existsSync(path)) return [];
  const entries: LedgerEntry[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      entries.push(JSON.parse(line) as LedgerEntry);
    } catch (err) {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== '')) {
        throw new Error(`${path}: line ${i + 1} is not JSON (${(err as Error).message}): ${line}`);
      }
    }
  });
  return entries;
}

/** `exampleId/repetition/step`: one step of one run. */
export function stepKey(e: Pick<LedgerEntry, 'exampleId' | 'repetition' | 'step'>): string {
  return `${e.exampleId}/${e.repetition}/${e.step}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a value other than undefined/false; throws `describe()` on timeout. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  opts: { timeoutMs: number; intervalMs?: number; describe: () => string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs} ms: ${opts.describe()}`);
    await sleep(opts.intervalMs ?? 50);
  }
}

/** Resolves with `promise`, or rejects after `ms` with `describe()`: a clear message instead of a jest timeout. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${describe()}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Elapsed-time printer: `lap('worker A killed')` logs seconds since the start. */
export function stopwatch(label: string): (event: string) => void {
  const t0 = Date.now();
  return (event) => console.log(`[${label}] +${((Date.now() - t0) / 1000).toFixed(1)}s ${event}`);
}

/** Steps with a `start` and no `end` yet (by the same pid): in flight when the ledger was read. */
export function stepsInFlight(entries: LedgerEntry[]): LedgerEntry[] {
  const open = new Map<string, LedgerEntry>();
  for (const e of entries) {
    const key = `${stepKey(e)}@${e.pid}`;
    if (e.event === 'start') open.set(key, e);
    else if (e.event === 'end') open.delete(key);
  }
  return [...open.values()];
}

/** temporal.api.enums.v1.PendingActivityState */
const ACTIVITY_STATES: Record<number, string> = { 1: 'scheduled', 2: 'started', 3: 'cancel requested', 4: 'paused', 5: 'pause requested' };

/**
 * What a stuck workflow waits on, for failure messages: pending activities (with the worker that
 * last took them) and pending children. Never throws.
 */
export async function describeWaiting(client: Client, workflowId: string): Promise<string> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    const raw = d.raw;
    const acts = (raw.pendingActivities ?? []).map(
      (p) =>
        `${p.activityType?.name} (${ACTIVITY_STATES[Number(p.state)] ?? `state ${p.state}`}, attempt ${p.attempt}, ` +
        `last worker ${p.lastWorkerIdentity || '-'})`,
    );
    const kids = raw.pendingChildren ?? [];
    return `${workflowId} is ${d.status.name}, history ${d.historyLength} events; pending activities: ${acts.join(', ') || 'none'}; pending children: ${kids.length}`;
  } catch (err) {
    return `${workflowId}: describe failed: ${String(err)}`;
  }
}

/** Awaits `promise`; on timeout, rejects with `describe()` plus what `workflowId` is waiting on. */
export async function resultWithin<T>(promise: Promise<T>, ms: number, client: Client, workflowId: string, describe: () => string): Promise<T> {
  try {
    return await withTimeout(promise, ms, describe);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('timed out')) throw err;
    throw new Error(`${err.message}\n${await describeWaiting(client, workflowId)}`);
  }
}
