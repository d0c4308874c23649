/**
 * Starts and stops the Temporal CLI dev server (`temporal server start-dev`) with this
 * project's search attributes. Used by `dxp server`, `dxp demo`, the tests and the benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { requireTemporalCli } from './temporal-cli';

export interface DevServerOptions {
  /** gRPC port; 0 or undefined picks a free one. */
  port?: number;
  /** Web UI port; 0 picks a free one. Ignored when headless. */
  uiPort?: number;
  headless?: boolean;
  /** Remote codec endpoint the Web UI decodes payloads with (`dxp codec-server`); ignored when headless. */
  uiCodecEndpoint?: string;
  /** SQLite file for persistence; without it state is lost when the server stops. */
  dbFile?: string;
  namespace?: string;
  /** Register this project's search attributes (default true); false gives a plain server, as another team runs it. */
  searchAttributes?: boolean;
  /** Extra dynamic config, e.g. `{ 'limit.historyCount.suggestContinueAsNew': 200 }`. */
  dynamicConfig?: Record<string, unknown>;
  cliPath?: string;
  /** Where the server's own output goes; default: discarded. */
  stdio?: 'inherit' | 'ignore';
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  /** The server process, when we spawned it ourselves. */
  process?: ChildProcess;
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** SIGKILL at once: simulates a crash. */
  kill(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

export function devServerArgs(opts: DevServerOptions & { port: number; uiPort?: number }): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'error'];
  if (opts.headless) args.push('--headless');
  else if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  if (!opts.headless && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  if (opts.dbFile) args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=WAL');
  if (opts.namespace && opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  if (opts.searchAttributes !== false) for (const key of ALL_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  return args;
}

/** Refuses a port that something else holds: waiting for "a server" there would adopt someone else's. */
async function requireFreePort(port: number, what: string): Promise<void> {
  const probe = createServer();
  probe.listen(port, '127.0.0.1');
  const outcome = await new Promise<'free' | NodeJS.ErrnoException>((resolve) => {
    probe.once('listening', () => resolve('free'));
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err));
  });
  if (typeof outcome === 'string') {
    probe.close();
    await once(probe, 'close');
    return;
  }
  throw new PortInUseError(`cannot start the Temporal dev server: ${what} port ${port} ${outcome.code === 'EADDRINUSE' ? 'is in use (another server runs there?)' : `cannot be used: ${outcome.message}`}`);
}

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

/** How many times a server on ports we chose is started again after it exits during startup. */
const START_ATTEMPTS = 3;

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const cliPath = opts.cliPath ?? requireTemporalCli();
  if (opts.port) await requireFreePort(opts.port, 'gRPC');
  if (opts.uiPort && !opts.headless) await requireFreePort(opts.uiPort, 'Web UI');
  // The CLI picks its internal service ports itself (bind, release, bind again), and so do we for
  // the ports the caller left open: another process can take one in between, and the server then
  // exits while starting. With ports of our choosing, a fresh set is tried; a caller's port is kept.
  const attempts = opts.port || (opts.uiPort && !opts.headless) ? 1 : START_ATTEMPTS;
  const exits: string[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnDevServer(opts, cliPath);
    } catch (err) {
      if (!(err instanceof ServerExitedError) || attempt >= attempts) {
        if (err instanceof ServerExitedError && exits.length > 0) {
          throw new Error(`${err.message}\n(after ${attempts} attempts on fresh ports; earlier exits: ${exits.join(' | ')})`);
        }
        throw err;
      }
      exits.push(err.firstLine);
    }
  }
}

/** The server process ended before it served: the message keeps the head of its output, where the cause is. */
class ServerExitedError extends Error {
  constructor(
    message: string,
    readonly firstLine: string,
  ) {
    super(message);
  }
}

/** The first and last part of a process's stderr: a Go panic names its cause at the top, then prints pages of stack. */
function stderrSummary(): { append(chunk: Buffer): void; text(): string } {
  const HEAD = 2_000;
  const TAIL = 2_000;
  let head = '';
  let tail = '';
  let dropped = 0;
  return {
    append(chunk) {
      const text = chunk.toString();
      const room = HEAD - head.length;
      head += text.slice(0, Math.max(0, room));
      const rest = text.slice(Math.max(0, room));
      const joined = tail + rest;
      dropped += Math.max(0, joined.length - TAIL);
      tail = joined.slice(-TAIL);
    },
    text() {
      return (dropped > 0 ? `${head}\n[... ${dropped} characters left out ...]\n${tail}` : head + tail).trim();
    },
  };
}

async function spawnDevServer(opts: DevServerOptions, cliPath: string): Promise<DevServer> {
  const port = opts.port || (await freePort());
  const uiPort = opts.headless ? undefined : opts.uiPort || (await freePort());
  const namespace = opts.namespace ?? 'default';
  const child = spawn(cliPath, devServerArgs({ ...opts, port, uiPort }), {
    stdio: ['ignore', opts.stdio ?? 'ignore', opts.stdio ?? 'pipe'],
  });
  const stderr = stderrSummary();
  child.stderr?.on('data', (chunk: Buffer) => stderr.append(chunk));
  const address = `127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const stopWith = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (exited || child.exitCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await once(child, 'exit').catch(() => undefined);
    clearTimeout(timer);
  };

  try {
    await waitUntilServing(address, namespace, opts.startTimeoutMs ?? 30_000, () =>
      exited ? `the server exited (code ${child.exitCode}): ${stderr.text() || 'no output'}` : undefined,
    );
  } catch (err) {
    await stopWith('SIGKILL', 0);
    if (exited) throw new ServerExitedError((err as Error).message, stderr.text().split('\n')[0] ?? '');
    throw err;
  }
  return {
    address,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    namespace,
    process: child,
    stop: () => stopWith('SIGTERM', 5_000),
    kill: () => stopWith('SIGKILL', 0),
  };
}

/** Polls until the namespace answers, or the deadline or `failed()` says stop. */
export async function waitUntilServing(
  address: string,
  namespace: string,
  timeoutMs: number,
  failed: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const why = failed();
    if (why) throw new Error(`Temporal dev server did not start: ${why}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`Temporal dev server at ${address} not ready after ${timeoutMs} ms: ${String(lastError)}`);
}
