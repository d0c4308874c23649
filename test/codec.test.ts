/**
 * Payload encryption (connection/codec): the AES-256-GCM codec, its keys from the environment, and
 * the codec server of the Temporal UI and CLI over real HTTP. No Temporal server here; the
 * at-rest proof against real databases is test/codec-at-rest.test.ts.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../connection/codec/aes-gcm-codec';
import { startCodecServer, type RunningCodecServer } from '../client/codec-server';
import { codecFromEnv, dataConverterFromEnv } from '../connection/codec/data-converter';
import { failureConverter } from '../connection/codec/failure-converter';
import { codecKeysFromEnv } from '../connection/codec/keys';
import { ConfigError } from '../connection/config';
import { workerSettings } from '../workers/config';
import { runDxp } from './helpers/cli';
import { PROJECT_ROOT, waitFor } from './helpers/processes';
import { tempDir } from './helpers/temporal';

const key = () => randomBytes(32).toString('base64');
const OLD = key();
const NEW = key();
const canary = () => `canary-${randomBytes(8).toString('hex')}`;
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

function codec(keys: string): AesGcmCodec {
  return codecFromEnv({ DXP_CODEC_KEYS: keys })!;
}

describe('the AES-256-GCM codec', () => {
  test('round trip: the original payload, metadata included, exactly', async () => {
    const secret = canary();
    const original: Payload = {
      metadata: { encoding: Buffer.from('json/plain'), 'custom-meta': Buffer.from([0, 1, 2, 255]) },
      data: Buffer.from(JSON.stringify({ input: secret })),
    };
    const c = codec(`k1:${NEW}`);
    const [encoded] = await c.encode([original]);
    expect(text(encoded!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded!.metadata![KEY_ID_METADATA])).toBe('k1');
    expect(Object.keys(encoded!.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA]);
    const [decoded] = await c.decode([encoded!]);
    expect(Object.keys(decoded!.metadata!).sort()).toEqual(['custom-meta', 'encoding']);
    expect(Buffer.from(decoded!.metadata!['custom-meta']!)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
    expect(text(decoded!.data)).toBe(JSON.stringify({ input: secret }));
  });

  test('the ciphertext holds neither the plaintext nor the original encoding, and every IV is new', async () => {
    const secret = canary();
    const payload = defaultPayloadConverter.toPayload({ row: secret });
    const c = codec(`k1:${NEW}`);
    const [a, b] = await c.encode([payload, payload]);
    for (const p of [a!, b!]) {
      const raw = Buffer.from(p.data!);
      expect(raw.includes(Buffer.from(secret))).toBe(false);
      expect(raw.includes(Buffer.from('json/plain'))).toBe(false);
    }
    expect(Buffer.from(a!.data!).subarray(0, 12)).not.toEqual(Buffer.from(b!.data!).subarray(0, 12));
  });

  test('payloads that are not encrypted pass through unchanged', async () => {
    const plain = defaultPayloadConverter.toPayload('hello');
    expect(await codec(`k1:${NEW}`).decode([plain])).toEqual([plain]);
  });

  test('rotation: the first key encrypts, an older key listed after it still decrypts', async () => {
    const secret = canary();
    const [old] = await codec(`old:${OLD}`).encode([defaultPayloadConverter.toPayload(secret)]);
    const rotated = codec(`new:${NEW},old:${OLD}`);
    expect(rotated.keyIds).toEqual(['new', 'old']);
    const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload(secret)]);
    expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe('new');
    const decoded = await rotated.decode([old!, fresh!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([secret, secret]);
  });

  test('a key id that is not configured fails, naming the id and not any key', async () => {
    const [payload] = await codec(`gone:${OLD}`).encode([defaultPayloadConverter.toPayload('x')]);
    const err = await codec(`k1:${NEW}`).decode([payload!]).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain("'gone'");
    expect((err as Error).message).not.toContain(OLD);
    expect((err as Error).message).not.toContain(NEW);
  });

  test('altered ciphertext, tag or IV fails authentication (GCM)', async () => {
    const c = codec(`k1:${NEW}`);
    const [payload] = await c.encode([defaultPayloadConverter.toPayload(canary())]);
    const data = Buffer.from(payload!.data!);
    for (const at of [0, 12, data.length - 1]) {
      const tampered = Buffer.from(data);
      tampered[at] = tampered[at]! ^ 0x01;
      await expect(c.decode([{ ...payload!, data: tampered }])).rejects.toThrow(/fails authentication/);
    }
    await expect(c.decode([{ ...payload!, data: data.subarray(0, 20) }])).rejects.toThrow(/truncated/);
    // The same id with another key: also refused, not garbage.
    await expect(codec(`k1:${OLD}`).decode([payload!])).rejects.toThrow(/fails authentication/);
  });

  test('the data converter: none without keys, the codec and encoded failures with them', () => {
    expect(dataConverterFromEnv({})).toBeUndefined();
    expect(dataConverterFromEnv({ DXP_CODEC_KEYS: '  ' })).toBeUndefined();
    const converter = dataConverterFromEnv({ DXP_CODEC_KEYS: `k1:${NEW}` });
    expect(converter?.payloadCodecs).toHaveLength(1);
    expect(converter?.failureConverterPath).toMatch(/failure-converter/);
    // Messages and stacks move into a payload (which the codec encrypts).
    const failure = failureConverter.errorToFailure(new Error('secret message'), defaultPayloadConverter);
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace).toBe('');
    expect(text(failure.encodedAttributes?.data)).toContain('secret message');
  });
});

describe('keys from the environment', () => {
  const dir = tempDir('dxp-codec-keys-');

  test('DXP_CODEC_KEYS and DXP_CODEC_KEY_FILE, the first key encrypting', () => {
    const inline = codecKeysFromEnv({ DXP_CODEC_KEYS: ` new:${NEW} , old:${OLD}` });
    expect(inline?.encryptWith).toBe('new');
    expect([...inline!.keys.keys()]).toEqual(['new', 'old']);
    expect(inline!.keys.get('old')).toEqual(Buffer.from(OLD, 'base64'));
    const file = join(dir, 'keys');
    writeFileSync(file, `# rotated 2025-06\n\nnew:${NEW}\n  # the previous one\nold:${OLD}\n`);
    const fromFile = codecKeysFromEnv({ DXP_CODEC_KEY_FILE: file });
    expect(fromFile?.encryptWith).toBe('new');
    expect([...fromFile!.keys.keys()]).toEqual(['new', 'old']);
    // URL-safe base64 without padding decodes to the same key.
    const urlSafe = Buffer.from(NEW, 'base64').toString('base64url');
    expect(codecKeysFromEnv({ DXP_CODEC_KEYS: `k:${urlSafe}` })?.keys.get('k')).toEqual(Buffer.from(NEW, 'base64'));
    expect(codecKeysFromEnv({})).toBeUndefined();
  });

  const short = randomBytes(16).toString('base64');
  const cases: [string, NodeJS.ProcessEnv, RegExp, string[]][] = [
    ['a key of 16 bytes', { DXP_CODEC_KEYS: `k1:${short}` }, /DXP_CODEC_KEYS: entry 1 \(key id 'k1'\): the key is 16 bytes/, [short]],
    ['a key that is not base64', { DXP_CODEC_KEYS: `k1:${NEW}!!` }, /DXP_CODEC_KEYS: entry 1 \(key id 'k1'\): the key is not base64/, [NEW]],
    ['an entry without a colon (a bare key)', { DXP_CODEC_KEYS: `k1:${OLD},${NEW}` }, /DXP_CODEC_KEYS: entry 2 is not id:base64key/, [NEW, OLD]],
    ['key and id swapped', { DXP_CODEC_KEYS: `${NEW}:k1` }, /DXP_CODEC_KEYS: entry 1: the key id must be/, [NEW]],
    ['a duplicate id', { DXP_CODEC_KEYS: `k1:${NEW},k1:${OLD}` }, /DXP_CODEC_KEYS: entry 2: key id 'k1' is listed twice/, [NEW, OLD]],
    ['no entries', { DXP_CODEC_KEYS: ' , ' }, /DXP_CODEC_KEYS: no keys/, []],
    ['both variables', { DXP_CODEC_KEYS: `k1:${NEW}`, DXP_CODEC_KEY_FILE: '/nowhere' }, /DXP_CODEC_KEYS and DXP_CODEC_KEY_FILE are both set/, [NEW]],
    ['a missing key file', { DXP_CODEC_KEY_FILE: '/nowhere/keys' }, /DXP_CODEC_KEY_FILE: cannot read \/nowhere\/keys: ENOENT/, []],
  ];
  test.each(cases)('%s: a ConfigError naming the variable, never the key', (_name, env, message, secrets) => {
    let err: unknown;
    try {
      codecKeysFromEnv(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
    for (const secret of secrets) {
      expect((err as Error).message).not.toContain(secret);
      expect((err as Error).message).not.toContain(secret.slice(0, 12));
    }
  });

  test('a bad line of the key file is named by its line number, without its key', () => {
    const file = join(dir, 'bad-keys');
    writeFileSync(file, `# keys\nnew:${NEW}\n\nold:${short}\n`);
    expect(() => codecKeysFromEnv({ DXP_CODEC_KEY_FILE: file })).toThrow(`DXP_CODEC_KEY_FILE (${file}): line 4 (key id 'old'): the key is 16 bytes`);
    expect(() => codecKeysFromEnv({ DXP_CODEC_KEY_FILE: file })).not.toThrow(short);
  });
});

describe('the codec server', () => {
  const TOKEN = randomBytes(24).toString('hex');
  const UI = 'http://localhost:8233';
  let server: RunningCodecServer;
  const rotated = codec(`new:${NEW},old:${OLD}`);

  beforeAll(async () => {
    server = await startCodecServer({ codec: rotated, port: 0, host: '127.0.0.1', token: TOKEN, maxBodyBytes: 1024 * 1024 });
  });
  afterAll(() => server?.close());

  function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}`, 'X-Namespace': 'default', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  /** proto3 JSON of a Payload, as the UI and the CLI send it. */
  function json(p: Payload) {
    return {
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
      data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
    };
  }

  test('decode and encode round trip, also under a namespace path; old-key payloads decode', async () => {
    const secret = canary();
    const [byOld] = await codec(`old:${OLD}`).encode([defaultPayloadConverter.toPayload({ old: secret })]);
    const encodedRes = await post('/encode', { payloads: [json(defaultPayloadConverter.toPayload({ fresh: secret }))] });
    expect(encodedRes.status).toBe(200);
    const encoded = (await encodedRes.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(encoded.payloads[0]!.data, 'base64').includes(Buffer.from(secret))).toBe(false);

    const decodedRes = await post('/default/decode', { payloads: [...encoded.payloads, json(byOld!)] });
    expect(decodedRes.status).toBe(200);
    expect(decodedRes.headers.get('content-type')).toBe('application/json');
    const decoded = (await decodedRes.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(decoded.payloads.map((p) => Buffer.from(p.data, 'base64').toString())).toEqual([JSON.stringify({ fresh: secret }), JSON.stringify({ old: secret })]);
    expect(Buffer.from(decoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
  });

  test('401 without a token, with a wrong one, or with another scheme', async () => {
    const body = { payloads: [] };
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, 'Bearer ', `Basic ${TOKEN}`, TOKEN]) {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (authorization !== undefined) headers.Authorization = authorization;
      const res = await fetch(`${server.url}/decode`, { method: 'POST', headers, body: JSON.stringify(body) });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.text()).not.toContain(TOKEN);
    }
    expect((await post('/decode', body)).status).toBe(200);
  });

  test('CORS: headers for the UI origin only; the preflight needs no token', async () => {
    const allowed = await post('/decode', { payloads: [] }, { Origin: UI });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(UI);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');

    const other = await post('/decode', { payloads: [] }, { Origin: 'https://evil.example' });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: UI, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,authorization,x-namespace' },
    });
    expect([200, 204]).toContain(preflight.status);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('Content-Type, Authorization, X-Namespace');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');

    const otherPreflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://localhost:9999', 'Access-Control-Request-Method': 'POST' } });
    expect(otherPreflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('413 for a body over the limit, 400 for bad JSON, bad payloads or an unknown key, 404 and 405', async () => {
    const big = await post('/decode', JSON.stringify({ payloads: [{ data: 'A'.repeat(1024 * 1024 + 10) }] }));
    expect(big.status).toBe(413);
    expect((await post('/decode', '{"payloads": [')).status).toBe(400);
    expect((await post('/decode', { nothing: true })).status).toBe(400);
    expect((await post('/decode', { payloads: [{ data: 'not base64!' }] })).status).toBe(400);

    const [unknown] = await codec(`gone:${key()}`).encode([defaultPayloadConverter.toPayload('x')]);
    const refused = await post('/decode', { payloads: [json(unknown!)] });
    expect(refused.status).toBe(400);
    const { error } = (await refused.json()) as { error: string };
    expect(error).toContain("'gone'");
    expect(error).not.toContain(NEW);

    expect((await post('/elsewhere', { payloads: [] })).status).toBe(404);
    expect((await fetch(`${server.url}/decode`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });
});

describe('dxp with a bad key setting', () => {
  const dir = tempDir('dxp-codec-cli-');
  const short = randomBytes(16).toString('base64');
  const env = { ...process.env, DXP_CODEC_KEYS: `k1:${short}`, TEMPORAL_ADDRESS: '127.0.0.1:1' };

  test('worker settings name it among their problems (dxp worker, dxp demo)', () => {
    expect(() => workerSettings({}, { DXP_CODEC_KEYS: `k1:${short}` })).toThrow(/^worker configuration: .*DXP_CODEC_KEYS: entry 1 \(key id 'k1'\): the key is 16 bytes/);
    expect(() => workerSettings({}, { DXP_CODEC_KEYS: `k1:${short}` })).not.toThrow(short);
  });

  test('`dxp run`, `dxp worker` and `dxp codec-server` stop at once, exit 2, naming the variable and not the key', async () => {
    writeFileSync(join(dir, 'rows.jsonl'), '{"id":"a","input":"x"}\n');
    writeFileSync(join(dir, 'spec.yaml'), 'name: codec-bad-keys\ndataset: { path: rows.jsonl }\ntask: echo\n');
    for (const args of [['run', 'spec.yaml'], ['worker'], ['codec-server', '--port', '0']]) {
      const result = await runDxp(args, { cwd: dir, env });
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain("DXP_CODEC_KEYS: entry 1 (key id 'k1'): the key is 16 bytes");
      expect(result.stderr + result.stdout).not.toContain(short);
    }
  });
});

describe('dxp codec-server', () => {
  test('serves with the keys and token of its environment, prints the endpoint, stops on SIGTERM', async () => {
    const token = randomBytes(24).toString('hex');
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'dxp.js'), 'codec-server', '--port', '0', '--origin', 'https://temporal.example.com'], {
      env: { ...process.env, DXP_CODEC_KEYS: `k1:${NEW}`, DXP_CODEC_SERVER_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const url = await waitFor(() => /dxp codec-server on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], { timeoutMs: 30_000, describe: () => out });
      expect(out).toContain('--ui-codec-endpoint');
      expect(out).toContain('browser origins https://temporal.example.com');
      expect(out).not.toContain(token);
      expect(out).not.toContain(NEW);
      const [encrypted] = await codec(`k1:${NEW}`).encode([defaultPayloadConverter.toPayload('through the command')]);
      const res = await fetch(`${url}/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, Origin: 'https://temporal.example.com' },
        body: JSON.stringify({ payloads: [{ metadata: Object.fromEntries(Object.entries(encrypted!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(encrypted!.data!).toString('base64') }] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://temporal.example.com');
      const body = (await res.json()) as { payloads: { data: string }[] };
      expect(Buffer.from(body.payloads[0]!.data, 'base64').toString()).toBe('"through the command"');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  test('refuses a non-loopback address without a token, and a bad --origin', async () => {
    const env = { ...process.env, DXP_CODEC_KEYS: `k1:${NEW}`, DXP_CODEC_SERVER_TOKEN: '' };
    const open = await runDxp(['codec-server', '--host', '0.0.0.0', '--port', '0'], { cwd: PROJECT_ROOT, env });
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('set DXP_CODEC_SERVER_TOKEN');
    const origin = await runDxp(['codec-server', '--origin', 'http://localhost:8233/namespaces'], { cwd: PROJECT_ROOT, env });
    expect(origin.code).toBe(2);
    expect(origin.stderr).toContain('an origin has no path');
  });
});
