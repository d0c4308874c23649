/**
 * The worker's log: one line per entry at INFO and above, stacks at DEBUG.
 *
 * The SDK logs every failed activity attempt (and every failed workflow) with the whole error,
 * stack and causes, ~37 lines for an expected `NonRetryableError`. Here such an entry becomes one
 * line naming the failure (`Activity failed: NonRetryableError: division by zero`, with the
 * workflow, activity and attempt), and the full error follows as a DEBUG entry, shown with
 * `DXP_LOG_LEVEL=DEBUG`. SDK notices that are expected in a dxp worker (the model worker has no
 * workflows, no worker has Nexus services) are DEBUG too.
 */
import { inspect } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, type LogEntry, type LogLevel, type LogMetadata, type Logger } from '@temporalio/worker';
import { EXAMPLE_WORKFLOW_TYPE } from '../workflows/example-contract';

const SEVERITY: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/** SDK notices that describe how a dxp worker is meant to be (e.g. the activity-only model worker). */
const EXPECTED_NOTICES = new Set([
  'No workflows registered, not polling for workflow tasks',
  'No Nexus services registered, not polling for Nexus tasks',
]);

/** Metadata that says nothing to a reader at INFO (kept at DEBUG). */
const NOISE_KEYS = new Set(['sdkComponent', 'taskToken', 'isLocal', 'namespace', 'workflowRunId', 'runId']);

export class WorkerLogger implements Logger {
  private readonly inner: DefaultLogger;
  private readonly verbose: boolean;

  constructor(
    readonly level: LogLevel = 'INFO',
    write: (text: string) => void = (text) => void process.stderr.write(text),
  ) {
    this.verbose = SEVERITY[level] <= SEVERITY.DEBUG;
    this.inner = new DefaultLogger(level, (entry) => write(formatEntry(entry, this.verbose)));
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (EXPECTED_NOTICES.has(message)) level = 'DEBUG';
    const errors = Object.entries(meta ?? {}).filter(([, value]) => value instanceof Error);
    if (errors.length === 0 || SEVERITY[level] <= SEVERITY.DEBUG) {
      this.inner.log(level, message, meta);
      return;
    }
    // An example workflow fails when its run did (an expected outcome, already stored with its run
    // record); the failure that caused it was logged where it happened (a step's attempts).
    if (message === 'Workflow failed' && meta?.workflowType === EXAMPLE_WORKFLOW_TYPE) level = 'INFO';
    // `Activity failed: NonRetryableError: division by zero workflowId=... activityType=... attempt=1`
    const rest: LogMetadata = { ...meta };
    for (const [key] of errors) delete rest[key];
    const summary = errors.map(([key, error]) => (key === 'error' ? '' : `${key} `) + summarizeError(error as Error)).join('; ');
    this.inner.log(level, `${message}: ${summary}`, rest);
    this.inner.log('DEBUG', `${message} (full error)`, meta);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }

  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }

  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }

  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }

  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/**
 * `Type: message`, then each cause that says something new, on one line. An ApplicationFailure is
 * labelled with its failure type; a plain `Error` with nothing.
 */
export function summarizeError(error: Error): string {
  const parts: string[] = [];
  const seen: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++, current = current.cause) {
    const label = current instanceof ApplicationFailure && current.type ? current.type : current.name;
    const text = current.message.replace(/\s*\n\s*/g, ' ⏎ ');
    if (!seen.some((s) => s.includes(text))) parts.push(label === 'Error' || !label ? text : text ? `${label}: ${text}` : label);
    seen.push(text);
  }
  return parts.join(' ← ');
}

/** One line: time, level, message, then `key=value` pairs; Error values (DEBUG only) follow in full. */
function formatEntry(entry: LogEntry, verbose: boolean): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const pairs: string[] = [];
  const blocks: string[] = [];
  for (const [key, value] of Object.entries(entry.meta ?? {})) {
    if (value === undefined || (!verbose && NOISE_KEYS.has(key))) continue;
    if (value instanceof Error) blocks.push(indent(`${key}: ${inspect(value, { depth: 4, breakLength: 120 })}`));
    else pairs.push(`${key}=${formatValue(value)}`);
  }
  const line = `${time} [${entry.level}] ${entry.message}${pairs.length ? ` ${pairs.join(' ')}` : ''}`;
  return [line, ...blocks].join('\n') + '\n';
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[\w./:@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null) return String(value);
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? inspect(value, { breakLength: Infinity });
  } catch {
    return inspect(value, { breakLength: Infinity, depth: 2 });
  }
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}

/** For the workflow bundler: its webpack report and "bundle created" go to DEBUG, its warnings and errors stay. */
export function bundlerLogger(logger: Logger): Logger {
  return {
    log: (level, message, meta) => logger.log(SEVERITY[level] <= SEVERITY.INFO ? 'DEBUG' : level, message, meta),
    trace: (message, meta) => logger.trace(message, meta),
    debug: (message, meta) => logger.debug(message, meta),
    info: (message, meta) => logger.debug(message, meta),
    warn: (message, meta) => logger.warn(message, meta),
    error: (message, meta) => logger.error(message, meta),
  };
}
