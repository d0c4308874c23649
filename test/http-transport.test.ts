/**
 * The shared HTTP transport under the Arize and model clients (Retry-After, what a request with no
 * response means) and the shared heartbeat timer of long activities. No server.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { heartbeatEvery, heartbeatTickMs, whileHeartbeating } from '../activities/shared/heartbeat';
import {
  classifyNetworkError,
  networkErrorInit,
  NOT_TRANSIENT_CODES,
  parseRetryAfter,
  redactor,
  TIMEOUT_CODES,
  type NetworkErrorKind,
} from '../activities/shared/http-transport';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  test('retry-after-ms is milliseconds (rounded up)', () => {
    expect(parseRetryAfter({ 'retry-after-ms': '250' }, now)).toBe(250);
    expect(parseRetryAfter({ 'retry-after-ms': '12.2' }, now)).toBe(13);
  });

  test('Retry-After is whole or decimal seconds', () => {
    expect(parseRetryAfter({ 'retry-after': '3' }, now)).toBe(3000);
    expect(parseRetryAfter({ 'retry-after': '0.5' }, now)).toBe(500);
    expect(parseRetryAfter({ 'retry-after': ' 2 ' }, now)).toBe(2000);
    expect(parseRetryAfter({ 'retry-after': ['4', '9'] }, now)).toBe(4000);
  });

  test('Retry-After as an HTTP date: the time until then, 0 when past, no upper cap', () => {
    expect(parseRetryAfter({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }, now)).toBe(10_000);
    expect(parseRetryAfter({ 'retry-after': 'Wed, 01 Jan 2025 01:00:00 GMT' }, now)).toBe(3_600_000);
    expect(parseRetryAfter({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }, now)).toBe(0);
    // Never negative: Date.parse reads '-3' as a date long past.
    expect(parseRetryAfter({ 'retry-after': '-3' }, now)).toBe(0);
  });

  test('garbage, blanks and no header are undefined', () => {
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': '' }, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after-ms': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfter({}, now)).toBeUndefined();
  });

  test('with both headers retry-after-ms wins; a malformed one falls back to Retry-After', () => {
    expect(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '3' }, now)).toBe(250);
    expect(parseRetryAfter({ 'retry-after-ms': 'soon', 'retry-after': '3' }, now)).toBe(3000);
  });
});

describe('network errors', () => {
  const withCode = (code: unknown): Error => Object.assign(new Error(`failed with ${String(code)}`), { code });
  // Each client's outcome before the shared transport: Arize never retried an error without a code,
  // the model client did; the code sets were the same.
  const TABLE: Array<[string, unknown, { arize: NetworkErrorKind; model: NetworkErrorKind }]> = [
    ['headers timeout', 'UND_ERR_HEADERS_TIMEOUT', { arize: 'timeout', model: 'timeout' }],
    ['body timeout', 'UND_ERR_BODY_TIMEOUT', { arize: 'timeout', model: 'timeout' }],
    ['connect timeout', 'UND_ERR_CONNECT_TIMEOUT', { arize: 'timeout', model: 'timeout' }],
    ['socket timeout', 'ETIMEDOUT', { arize: 'timeout', model: 'timeout' }],
    ['invalid argument', 'UND_ERR_INVALID_ARG', { arize: 'fatal', model: 'fatal' }],
    ['not supported', 'UND_ERR_NOT_SUPPORTED', { arize: 'fatal', model: 'fatal' }],
    ['invalid return value', 'UND_ERR_INVALID_RETURN_VALUE', { arize: 'fatal', model: 'fatal' }],
    ['invalid URL', 'ERR_INVALID_URL', { arize: 'fatal', model: 'fatal' }],
    ['socket closed', 'UND_ERR_SOCKET', { arize: 'transient', model: 'transient' }],
    ['connection reset', 'ECONNRESET', { arize: 'transient', model: 'transient' }],
    ['connection refused', 'ECONNREFUSED', { arize: 'transient', model: 'transient' }],
    ['no such host', 'ENOTFOUND', { arize: 'transient', model: 'transient' }],
    ['client closed', 'UND_ERR_CLOSED', { arize: 'transient', model: 'transient' }],
    ['no code', undefined, { arize: 'fatal', model: 'transient' }],
    ['a numeric code', 20, { arize: 'fatal', model: 'transient' }],
  ];

  test.each(TABLE)('%s (%s): Arize %j', (_name, code, expected) => {
    const err = withCode(code);
    expect(classifyNetworkError(err, { timedOut: false, withoutCode: 'fatal' })).toBe(expected.arize);
    expect(classifyNetworkError(err, { timedOut: false, withoutCode: 'transient' })).toBe(expected.model);
  });

  test('the table covers every code of both sets', () => {
    const listed = new Set(TABLE.map(([, code]) => code));
    for (const code of [...NOT_TRANSIENT_CODES, ...TIMEOUT_CODES]) expect(listed).toContain(code);
  });

  test('our own deadline firing is a timeout whatever the code; a thrown non-Error has no code', () => {
    expect(classifyNetworkError(withCode('UND_ERR_INVALID_ARG'), { timedOut: true, withoutCode: 'fatal' })).toBe('timeout');
    expect(classifyNetworkError('boom', { timedOut: false, withoutCode: 'fatal' })).toBe('fatal');
    expect(classifyNetworkError(null, { timedOut: false, withoutCode: 'transient' })).toBe('transient');
  });

  test("the error's fields: a retryable timeout, or the code and the redacted message", () => {
    const redact = redactor('secret-key', /\bsk-[A-Za-z0-9_*-]{6,}/g);
    const base = { endpoint: 'GET /v2/spaces', timeoutMs: 500, redact, withoutCode: 'fatal' } as const;
    expect(networkErrorInit(withCode('UND_ERR_BODY_TIMEOUT'), { ...base, timedOut: false })).toMatchObject({
      kind: 'timeout',
      status: 0,
      title: 'Request timed out',
      detail: 'no complete response within 500 ms',
      endpoint: 'GET /v2/spaces',
      retryable: true,
    });
    const reset = Object.assign(new Error('reset by secret-key and sk-abcdefgh'), { code: 'ECONNRESET' });
    expect(networkErrorInit(reset, { ...base, timedOut: false })).toMatchObject({
      kind: 'transient',
      title: 'Network error',
      detail: 'ECONNRESET: reset by [redacted] and [redacted]',
      retryable: true,
      cause: reset,
    });
    expect(networkErrorInit(new Error('odd'), { ...base, timedOut: false })).toMatchObject({ kind: 'fatal', detail: 'odd', retryable: false });
  });
});

describe('heartbeat timer', () => {
  afterEach(() => jest.useRealTimers());

  test('the tick is a third of the heartbeat timeout, 100 ms..1 s, and 1 s without one', () => {
    expect(heartbeatTickMs(undefined)).toBe(1_000);
    expect(heartbeatTickMs(0)).toBe(1_000);
    expect(heartbeatTickMs(1_500)).toBe(500);
    expect(heartbeatTickMs(60_000)).toBe(1_000);
    expect(heartbeatTickMs(90)).toBe(100);
  });

  test('heartbeatEvery beats on its interval with the details read at each tick, and stops', async () => {
    jest.useFakeTimers();
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    await env.run(async () => {
      let turn = 0;
      const beat = heartbeatEvery(1_000, () => ({ turn }));
      jest.advanceTimersByTime(999);
      expect(beats).toEqual([]);
      jest.advanceTimersByTime(1);
      turn = 1;
      jest.advanceTimersByTime(2_000);
      beat.stop();
      jest.advanceTimersByTime(10_000);
    });
    expect(beats).toEqual([{ turn: 0 }, { turn: 1 }, { turn: 1 }]);
  });

  test('from the heartbeat timeout, and without details when none are given', async () => {
    jest.useFakeTimers();
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 600 });
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    await env.run(async () => {
      const beat = heartbeatEvery({ heartbeatTimeoutMs: 600 });
      jest.advanceTimersByTime(1_000);
      beat.stop();
      jest.advanceTimersByTime(1_000);
    });
    expect(beats).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  test('whileHeartbeating beats every second while the work runs, and stops when it settles (also on a throw)', async () => {
    jest.useFakeTimers();
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => (beats += 1));
    const value = await env.run(() =>
      whileHeartbeating(async () => {
        jest.advanceTimersByTime(3_000);
        return 'done';
      }),
    );
    expect(value).toBe('done');
    expect(beats).toBe(3);
    jest.advanceTimersByTime(5_000);
    expect(beats).toBe(3);

    const failed = env.run(() =>
      whileHeartbeating(async () => {
        jest.advanceTimersByTime(2_000);
        throw new Error('work failed');
      }),
    );
    await expect(failed).rejects.toThrow('work failed');
    jest.advanceTimersByTime(5_000);
    expect(beats).toBe(5);
  });
});
