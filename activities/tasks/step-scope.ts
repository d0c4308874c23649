/**
 * What an activity running user code needs around it: heartbeats on a timer that carry the latest
 * progress details, and sandboxes that are torn down when the activity ends (success, throw,
 * cancellation or timeout). Used by task steps and cleanup; usable from any activity.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { bindSignal } from '../sandbox/bound-signal';
import { SandboxError } from '../sandbox/errors';
import { workerSandboxProvider, type SandboxSource } from '../sandbox/from-env';
import { SandboxTeardownError } from '../sandbox/teardown';
import type { ProvisionOptions, Sandbox } from '../sandbox/types';
import { heartbeatEvery } from '../shared/heartbeat';

/** Heartbeat details are stored by the server on every heartbeat and handed to the next attempt: keep them small. */
export const MAX_HEARTBEAT_DETAILS_BYTES = 4 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A provider's error message in a warning is cut here (a deep tree's path alone is kilobytes). */
const MAX_TEARDOWN_REASON_CHARS = 500;

export interface StepScope {
  /** Records progress details (and liveness); `undefined` keeps the last details. */
  heartbeat(details?: unknown): void;
  /** A sandbox from the worker's provider (DXP_SANDBOX); its runs stop on the activity's cancellation. */
  sandbox(opts?: ProvisionOptions): Promise<Sandbox>;
  /** Sandbox warnings, refused heartbeats and failed teardowns so far, each once. */
  readonly warnings: string[];
  /** The last heartbeat details of a previous attempt. */
  readonly resumeFrom: unknown;
}

export interface StepScopeOptions {
  autoHeartbeat: boolean;
  /** The worker's sandbox provider; default: the process's (deprecated `workerSandboxProvider()`). */
  sandboxes?: SandboxSource;
}

export async function withStepScope<T>(
  opts: StepScopeOptions,
  fn: (scope: StepScope) => Promise<T>,
): Promise<{ value: T; warnings: string[] }> {
  const activity = Context.current();
  const { info, cancellationSignal } = activity;
  const warnings: string[] = [];
  const open = new Set<Sandbox>();
  /** Each sandbox's teardown, started once (by a cancel, the deadline or the end), awaited before the step ends. */
  const teardowns = new Map<Sandbox, Promise<void>>();
  let ended = false;
  // Start from the previous attempt's details: a heartbeat without them would erase them on the server.
  let latest: unknown = info.heartbeatDetails;
  let ticker: { stop(): void } | undefined;
  let refusedDetails = false;

  const warn = (message: string, meta: Record<string, unknown> = {}): void => {
    if (warnings.includes(message)) return;
    warnings.push(message);
    activity.log.warn(message, meta);
  };

  const startTicker = (): void => {
    if (ticker || ended || !opts.autoHeartbeat) return;
    // A third of the heartbeat timeout, 100 ms..1 s (1 s without one), with the latest details.
    ticker = heartbeatEvery({ heartbeatTimeoutMs: info.heartbeatTimeoutMs }, () => latest, activity);
  };

  // A teardown that fails leaves something on the host: a warning in the run record, not only a log line.
  const tearDown = (sandbox: Sandbox): Promise<void> => {
    let done = teardowns.get(sandbox);
    if (!done) {
      done = Promise.resolve()
        .then(() => sandbox.teardown())
        .catch((err: unknown) => warn(teardownWarning(sandbox, err), { sandbox: sandbox.id, error: String(err) }));
      teardowns.set(sandbox, done);
    }
    return done;
  };
  const tearDownAll = async (): Promise<void> => {
    for (const sandbox of open) void tearDown(sandbox);
    await Promise.all(teardowns.values());
  };

  // Cancellation and timeout kill sandboxes at once, even if the user code ignores its signal.
  const onAbort = (): void => void tearDownAll();
  cancellationSignal.addEventListener('abort', onAbort, { once: true });
  // The server's start-to-close timeout only reaches a heartbeating activity: this is the backstop.
  const timeoutMs = info.startToCloseTimeoutMs;
  const deadline = timeoutMs > 0 && timeoutMs < MAX_TIMER_MS ? setTimeout(onAbort, timeoutMs) : undefined;
  deadline?.unref();

  const scope: StepScope = {
    heartbeat(details?: unknown) {
      if (details !== undefined) {
        const refused = checkDetails(details);
        if (!refused) latest = details;
        else if (!refusedDetails) {
          refusedDetails = true; // once per step: a loop heartbeating big data would flood the log
          warn(refused);
        }
      }
      activity.heartbeat(latest);
    },
    async sandbox(provisionOptions?: ProvisionOptions) {
      if (ended) throw new SandboxError('SANDBOX_TORN_DOWN', 'the step has ended: no more sandboxes');
      const provider = await (opts.sandboxes ?? (() => workerSandboxProvider()))();
      const sandbox = await provider.provision(provisionOptions);
      if (ended || cancellationSignal.aborted) {
        await tearDown(sandbox);
        throw new SandboxError('SANDBOX_TORN_DOWN', 'the step ended or was cancelled while its sandbox was provisioned');
      }
      open.add(sandbox);
      for (const w of sandbox.warnings) warn(w, { sandbox: sandbox.id, isolation: sandbox.isolation });
      // A step with a sandbox heartbeats even without a heartbeat timeout, so a cancel reaches its runs.
      startTicker();
      return bindSignal(sandbox, cancellationSignal);
    },
    warnings,
    resumeFrom: info.heartbeatDetails,
  };

  // Teardown before the result: its warnings belong to this step. The ticker runs on meanwhile,
  // so a big tree taking seconds to remove does not time the step out on its heartbeat.
  const end = async (): Promise<void> => {
    ended = true;
    clearTimeout(deadline);
    try {
      await tearDownAll();
    } finally {
      ticker?.stop();
      cancellationSignal.removeEventListener('abort', onAbort);
    }
  };

  if (info.heartbeatTimeoutMs) startTicker();
  let value: T;
  try {
    value = await fn(scope);
  } catch (err) {
    const before = warnings.length;
    await end();
    throw warnings.length > before ? withWarnings(err, warnings) : err;
  }
  await end();
  return { value, warnings: [...warnings] };
}

/** The run record's line for a sandbox whose teardown failed. */
function teardownWarning(sandbox: Sandbox, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const text = err instanceof SandboxTeardownError ? message : `teardown failed: ${message}`;
  const cut = text.length > MAX_TEARDOWN_REASON_CHARS ? `${text.slice(0, MAX_TEARDOWN_REASON_CHARS)}...` : text;
  return `sandbox ${sandbox.id}: ${cut}`;
}

/**
 * A step's failure with the warnings that came after it was made (its sandboxes' teardown): the
 * workflow reads them from the first detail (see userCode), which is updated, or added when empty.
 */
function withWarnings(err: unknown, warnings: string[]): unknown {
  if (!(err instanceof ApplicationFailure) || !Array.isArray(err.details)) return err;
  const first: unknown = err.details[0];
  if (first === undefined) err.details.push({ warnings: [...warnings] });
  else if (typeof first === 'object' && first !== null && !Array.isArray(first)) err.details[0] = { ...first, warnings: [...warnings] };
  return err;
}

/** Why these details cannot be heartbeat details (too big, not JSON), or undefined when they can. */
function checkDetails(details: unknown): string | undefined {
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(details) ?? '');
  } catch (err) {
    return `heartbeat details refused: not JSON-serialisable (${(err as Error).message}); resumeFrom keeps the last accepted details`;
  }
  if (bytes <= MAX_HEARTBEAT_DETAILS_BYTES) return undefined;
  return (
    `heartbeat details refused: ${bytes} bytes over the ${MAX_HEARTBEAT_DETAILS_BYTES}-byte limit; ` +
    'resumeFrom keeps the last accepted details (heartbeat a cursor, not the data)'
  );
}
