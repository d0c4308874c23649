/**
 * Temporal's remote codec protocol over node:http, so the Temporal UI and CLI can show payloads
 * that only the key holder can read: `POST …/decode` and `POST …/encode` (only the last path
 * segment counts, so `/{namespace}/decode` works too), body and answer
 * `{"payloads":[{"metadata":{"k":"<base64>"},"data":"<base64>"}]}` (proto3 JSON of Payloads).
 * Browsers get CORS headers only for the configured origins; with a token, every POST needs
 * `Authorization: Bearer <token>`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';

export const DEFAULT_UI_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
const ALLOWED_HEADERS = 'Content-Type, Authorization, X-Namespace';
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export interface CodecServerOptions {
  codec: PayloadCodec;
  port: number;
  host: string;
  /** Browser origins allowed to call (exact `scheme://host:port`); default the local dev server's UI. */
  origins?: string[];
  /** Required as `Authorization: Bearer <token>` when set. */
  token?: string;
  maxBodyBytes?: number;
  /** One line per refused or failed request (never a payload). */
  log?: (line: string) => void;
}

export interface RunningCodecServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** A request answered with this status and message. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startCodecServer(opts: CodecServerOptions): Promise<RunningCodecServer> {
  const origins = new Set(opts.origins ?? DEFAULT_UI_ORIGINS);
  const tokenDigest = opts.token !== undefined ? digest(opts.token) : undefined;
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = opts.log ?? (() => undefined);

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      log(`${req.method} ${req.url}: ${status} ${message}`);
      if (!res.headersSent) send(res, status, { error: message });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    // A browser page of another origin is refused outright; requests without Origin (the CLI, curl) are not browsers.
    if (origin !== undefined) {
      if (!origins.has(origin)) throw new HttpError(403, `origin ${origin} is not allowed (dxp codec-server --origin)`);
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    // The preflight carries no Authorization header: it is answered before the token check.
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.writeHead(204).end();
      return;
    }
    const action = route(req.url ?? '/');
    if (!action) throw new HttpError(404, 'not found: POST …/encode or …/decode');
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      throw new HttpError(405, `${req.method} is not allowed: POST`);
    }
    if (tokenDigest && !authorized(req.headers.authorization, tokenDigest)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'a bearer token is required (Authorization: Bearer <DXP_CODEC_SERVER_TOKEN>)');
    }
    const payloads = parseBody(await readBody(req, maxBodyBytes));
    let converted: Payload[];
    try {
      converted = action === 'decode' ? await opts.codec.decode(payloads) : await opts.codec.encode(payloads);
    } catch (err) {
      // The protocol's answer to a codec error: 400, with the reason (key ids at most, never key bytes).
      throw new HttpError(400, (err as Error).message);
    }
    send(res, 200, { payloads: converted.map(toJson) });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function route(url: string): 'encode' | 'decode' | undefined {
  const last = url.split('?')[0]!.replace(/\/+$/, '').split('/').pop();
  return last === 'encode' || last === 'decode' ? last : undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Compares digests (equal lengths) in constant time: the token's length and prefix do not leak. */
function authorized(header: string | undefined, tokenDigest: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!.trim()), tokenDigest);
}

/**
 * The body as text, at most `limit` bytes. A larger one is read to its end and dropped (not
 * buffered), so the client gets the 413 instead of a connection reset while it is still sending.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) throw new HttpError(413, `the body is over ${limit} bytes`);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): Payload[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
  const payloads = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads)) throw new HttpError(400, 'the body has no "payloads" array');
  return payloads.map((p: unknown, i) => fromJson(p, i));
}

function fromJson(value: unknown, index: number): Payload {
  const bad = (why: string) => new HttpError(400, `payloads[${index}]: ${why}`);
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const { metadata, data } = value as { metadata?: unknown; data?: unknown };
  if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) throw bad('metadata is not an object');
  const decodedMetadata: Record<string, Uint8Array> = {};
  for (const [key, v] of Object.entries((metadata ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'string' || !BASE64.test(v)) throw bad(`metadata.${key} is not base64`);
    decodedMetadata[key] = Buffer.from(v, 'base64');
  }
  if (data !== undefined && data !== null && (typeof data !== 'string' || !BASE64.test(data))) throw bad('data is not base64');
  return { metadata: decodedMetadata, data: Buffer.from(typeof data === 'string' ? data : '', 'base64') };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
