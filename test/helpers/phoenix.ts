/**
 * A real Phoenix server (Arize's open-source receiver of traces and experiments) for a test: its
 * own free ports and working directory (SQLite), started and stopped by the test. Installed by
 * `DXP_WITH_PHOENIX=1 npm run setup` into .tools/phoenix/ (`DXP_PHOENIX` overrides the binary); a
 * missing one fails the test with how to install it, never skips it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../client/dev-server';
import { PROJECT_ROOT } from './processes';

const LOCAL_PHOENIX = join(PROJECT_ROOT, '.tools', 'phoenix', 'bin', 'phoenix');
/** Measured here: `/healthz` answers about 12-16 s after start on the 2-core machine. */
const START_TIMEOUT_MS = 120_000;

export interface PhoenixServer {
  baseUrl: string;
  /** OTLP over HTTP (protobuf). */
  tracesUrl: string;
  /** GET a REST path (e.g. `/v1/projects`), parsed; throws on a non-2xx answer with its body. */
  get<T = unknown>(path: string): Promise<T>;
  /** POST JSON to a REST path, parsed; throws on a non-2xx answer with its body. */
  post<T = unknown>(path: string, body: unknown): Promise<T>;
  stop(): Promise<void>;
}

export function requirePhoenix(): string {
  const path = process.env.DXP_PHOENIX ?? LOCAL_PHOENIX;
  if (existsSync(path)) return path;
  throw new Error(
    `Phoenix not found at ${path}. Install it with \`DXP_WITH_PHOENIX=1 npm run setup\` ` +
      '(PyPI arize-phoenix into .tools/phoenix/, about a minute and 850 MB), or set DXP_PHOENIX to a `phoenix` executable.',
  );
}

export async function startPhoenix(): Promise<PhoenixServer> {
  const binary = requirePhoenix();
  const [port, grpcPort] = [await freePort(), await freePort()];
  const workDir = mkdtempSync(join(tmpdir(), 'dxp-phoenix-'));
  const output: string[] = [];
  const child: ChildProcess = spawn(binary, ['serve'], {
    env: { ...process.env, PHOENIX_WORKING_DIR: workDir, PHOENIX_PORT: String(port), PHOENIX_GRPC_PORT: String(grpcPort), PHOENIX_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const exited = once(child, 'exit');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(workDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`Phoenix exited (code ${child.exitCode}) before it answered /healthz:\n${output.join('').slice(-2000)}`);
    }
    const healthy = await fetch(`${baseUrl}/healthz`).then((r) => r.ok, () => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Phoenix did not answer /healthz within ${START_TIMEOUT_MS / 1000} s:\n${output.join('').slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    baseUrl,
    tracesUrl: `${baseUrl}/v1/traces`,
    async get<T>(path: string): Promise<T> {
      const response = await fetch(`${baseUrl}${path}`);
      const text = await response.text();
      if (!response.ok) throw new Error(`Phoenix GET ${path}: ${response.status} ${text.slice(0, 500)}`);
      return JSON.parse(text) as T;
    },
    async post<T>(path: string, body: unknown): Promise<T> {
      const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await response.text();
      if (!response.ok) throw new Error(`Phoenix POST ${path}: ${response.status} ${text.slice(0, 500)}`);
      return JSON.parse(text) as T;
    },
    stop,
  };
}

/** A span as Phoenix's REST API returns it (attributes flat, by their dotted names). */
export interface PhoenixSpan {
  name: string;
  context: { trace_id: string; span_id: string };
  parent_id: string | null;
  span_kind: string;
  status_code: string;
  start_time: string;
  attributes: Record<string, unknown>;
}

/** Every span of a project, page by page (Phoenix answers at most 1,000 a page; 404 until the project has spans). */
export async function projectSpans(phoenix: PhoenixServer, project: string): Promise<PhoenixSpan[]> {
  const spans: PhoenixSpan[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: PhoenixSpan[]; next_cursor: string | null } = await phoenix.get(`/v1/projects/${project}/spans?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    spans.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return spans;
}
