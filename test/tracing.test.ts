/**
 * Tracing's settings and span pipeline (connection/tracing-config.ts, connection/tracing.ts):
 * off unless configured, bad values refused naming the variable and never echoing a header
 * value; spans exported over OTLP/HTTP to a real Phoenix and read back through its REST API with
 * their parent links, kinds and attributes; a collector that is not there costs nothing but
 * counted failures, and a full queue drops spans instead of holding them.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { SpanKind, trace, type Span } from '@opentelemetry/api';
import { acquireTracing, startTracingFromEnv } from '../connection/process-tracing';
import { freePort } from '../client/dev-server';
import { startTracing, MAX_QUEUED_SPANS } from '../connection/tracing';
import { ARIZE_OTLP_TRACES_URL, tracingConfigFromEnv, TracingConfigError, type TracingConfig } from '../connection/tracing-config';
import { workerSettings } from '../workers/config';
import { startPhoenix, type PhoenixServer, type PhoenixSpan } from './helpers/phoenix';
import { waitFor } from './helpers/processes';

type Enabled = Extract<TracingConfig, { enabled: true }>;
const enabled = (env: NodeJS.ProcessEnv): Enabled => {
  const config = tracingConfigFromEnv(env);
  if (!config.enabled) throw new Error('expected tracing on');
  return config;
};

describe('settings', () => {
  test('off unless an endpoint or a preset is set, and off with OTEL_SDK_DISABLED', () => {
    expect(tracingConfigFromEnv({})).toEqual({ enabled: false });
    expect(tracingConfigFromEnv({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' })).toEqual({ enabled: false });
    expect(tracingConfigFromEnv({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual({ enabled: false });
  });

  test('the base endpoint gets /v1/traces; the traces endpoint is used as given; headers are parsed and URL-decoded', () => {
    expect(enabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      tracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'dxp',
      projectName: 'dxp',
      sampler: 'parentbased_always_on',
      source: 'otel',
    });
    const config = enabled({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c.example/otlp/traces',
      OTEL_EXPORTER_OTLP_HEADERS: 'Api-Key=a%20b%3Dc, x-team=evals',
      OTEL_SERVICE_NAME: 'evals-worker',
      DXP_TRACE_PROJECT: 'nightly',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(config).toMatchObject({
      tracesUrl: 'https://c.example/otlp/traces',
      headers: { 'api-key': 'a b=c', 'x-team': 'evals' },
      serviceName: 'evals-worker',
      projectName: 'nightly',
      sampler: 'traceidratio',
      ratio: 0.25,
    });
  });

  test('presets: phoenix (local by default, its API key as a bearer token) and arize (its OTLP endpoint and headers)', () => {
    expect(enabled({ DXP_TRACING: 'phoenix' })).toMatchObject({ tracesUrl: 'http://localhost:6006/v1/traces', headers: {}, source: 'phoenix' });
    expect(enabled({ DXP_TRACING: 'phoenix', PHOENIX_COLLECTOR_ENDPOINT: 'https://phoenix.example/v1/traces', PHOENIX_API_KEY: 'pk' })).toMatchObject({
      tracesUrl: 'https://phoenix.example/v1/traces',
      headers: { authorization: 'Bearer pk' },
    });
    expect(enabled({ DXP_TRACING: 'arize', ARIZE_SPACE_ID: 'U3BhY2U6MQ==', ARIZE_API_KEY: 'ak' })).toMatchObject({
      tracesUrl: ARIZE_OTLP_TRACES_URL,
      headers: { space_id: 'U3BhY2U6MQ==', api_key: 'ak' },
      source: 'arize',
    });
  });

  test.each([
    [{ DXP_TRACING: 'jaeger' }, /DXP_TRACING must be phoenix, arize or otel; got "jaeger"/],
    [{ DXP_TRACING: 'arize', ARIZE_API_KEY: 'k' }, /DXP_TRACING=arize needs ARIZE_SPACE_ID/],
    [{ DXP_TRACING: 'otel' }, /DXP_TRACING=otel needs OTEL_EXPORTER_OTLP_ENDPOINT/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://c' }, /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL; got "ftp:\/\/c"/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http\(s\) URL/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_TRACES_SAMPLER: 'sometimes' }, /OTEL_TRACES_SAMPLER must be one of always_on, /],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }, /OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/],
    [{ OTEL_SDK_DISABLED: 'maybe' }, /OTEL_SDK_DISABLED must be true or false/],
  ])('refused, naming the variable: %j', (env, message) => {
    expect(() => tracingConfigFromEnv(env)).toThrow(TracingConfigError);
    expect(() => tracingConfigFromEnv(env)).toThrow(message);
  });

  test('the worker refuses a bad tracing setting at start, with its other settings problems', () => {
    expect(() => workerSettings({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector' })).toThrow(
      /^worker configuration: .*OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL; got "ftp:\/\/collector"/,
    );
    expect(() => workerSettings({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).not.toThrow();
  });

  test("a malformed header names its position and key, never a value (it may be an API key)", () => {
    const secret = 'sk-SECRET-0123';
    for (const headers of [`good=1,${secret}`, `k=%E0%A4%A${secret}`]) {
      let message = '';
      try {
        tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_HEADERS: headers });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^OTEL_EXPORTER_OTLP_HEADERS: /);
      expect(message).not.toContain(secret);
    }
  });
});

describe('exporting to a real Phoenix', () => {
  let phoenix: PhoenixServer;

  beforeAll(async () => {
    phoenix = await startPhoenix();
  }, 180_000);

  afterAll(async () => {
    await phoenix?.stop();
  });


  test('a span tree arrives in the configured project with its parent links, kinds and OpenInference attributes', async () => {
    const project = 'dxp-tracing-test';
    const tracing = startTracing(enabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: phoenix.tracesUrl, DXP_TRACE_PROJECT: project }));
    const tracer = tracing.provider.getTracer('dxp-test');
    let traceId = '';
    tracer.startActiveSpan('task', { kind: SpanKind.INTERNAL, attributes: { 'openinference.span.kind': 'CHAIN', 'input.value': 'What is 2 + 2?' } }, (root: Span) => {
      traceId = root.spanContext().traceId;
      tracer.startActiveSpan('turn 1', { attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'scripted', 'llm.token_count.prompt': 12 } }, (llm: Span) => llm.end());
      tracer.startActiveSpan('run_tests', { attributes: { 'openinference.span.kind': 'TOOL', 'tool.name': 'run_tests' } }, (tool: Span) => tool.end());
      root.setAttribute('output.value', '4');
      root.end();
    });
    await tracing.shutdown();
    expect(tracing.counts()).toEqual({ ended: 3, exported: 3, failed: 0 });

    // Phoenix ingests in the background: the project is unknown (404) until its first spans are in.
    let last = '';
    const spans = await waitFor(
      async () => {
        try {
          const body = await phoenix.get<{ data: PhoenixSpan[] }>(`/v1/projects/${project}/spans?trace_id=${traceId}&limit=100`);
          last = `${body.data.length} spans`;
          return body.data.length === 3 ? body.data : undefined;
        } catch (err) {
          last = (err as Error).message;
          return undefined;
        }
      },
      { timeoutMs: 30_000, intervalMs: 250, describe: () => `3 spans of trace ${traceId} in Phoenix project ${project} (last: ${last})` },
    );
    const byName = new Map(spans.map((s) => [s.name, s]));
    const root = byName.get('task')!;
    expect(root.parent_id).toBeNull();
    expect(root.span_kind).toBe('CHAIN');
    expect(root.attributes).toMatchObject({ 'input.value': 'What is 2 + 2?', 'output.value': '4' });
    expect(byName.get('turn 1')).toMatchObject({ parent_id: root.context.span_id, span_kind: 'LLM', attributes: { 'llm.model_name': 'scripted', 'llm.token_count.prompt': 12 } });
    expect(byName.get('run_tests')).toMatchObject({ parent_id: root.context.span_id, span_kind: 'TOOL' });
    expect(spans.every((s) => s.context.trace_id === traceId)).toBe(true);
  });
});

describe('a collector that is down or stuck', () => {
  test('nothing listens: every export fails and is counted, none is lost, and shutdown returns', async () => {
    const url = `http://127.0.0.1:${await freePort()}/v1/traces`;
    const logged: string[] = [];
    const tracing = startTracing(enabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url }), { log: (level, message) => logged.push(`${level} ${message}`) });
    const tracer = tracing.provider.getTracer('dxp-test');
    for (let i = 0; i < 2_000; i++) tracer.startSpan(`span ${i}`).end();
    await tracing.shutdown();
    expect(tracing.counts()).toEqual({ ended: 2_000, exported: 0, failed: 2_000 });
    expect(tracing.unaccounted()).toBe(0);
    // Said once for the outage (four batches failed), and in the final count.
    expect(logged.filter((line) => line.includes('could not be sent'))).toHaveLength(1);
    expect(logged[0]).toMatch(new RegExp(`^warn tracing: \\d+ spans could not be sent to ${url.replace(/[.]/g, '\\.')}`));
    expect(logged.at(-1)).toBe(`warn tracing: 0 of 2000 spans sent to ${url}; 2000 failed, 0 dropped (queue full)`);
  }, 60_000);

  test('it accepts and never answers: the queue stays bounded (the surplus is dropped, not held) and shutdown ends at the export timeout', async () => {
    const sockets = new Set<Socket>();
    const stuck = createServer((socket) => sockets.add(socket)); // reads nothing, answers nothing
    stuck.listen(0, '127.0.0.1');
    await once(stuck, 'listening');
    const { port } = stuck.address() as AddressInfo;
    try {
      const logged: string[] = [];
      const tracing = startTracing(enabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces` }), { exportTimeoutMs: 1_000, log: (_, m) => logged.push(m) });
      const tracer = tracing.provider.getTracer('dxp-test');
      // The first full batch goes out at once and hangs; the queue then fills, and the rest is dropped.
      const batch = 512;
      const surplus = 100;
      for (let i = 0; i < batch + MAX_QUEUED_SPANS + surplus; i++) tracer.startSpan(`span ${i}`).end();
      await tracing.shutdown();
      expect(tracing.counts()).toEqual({ ended: batch + MAX_QUEUED_SPANS + surplus, exported: 0, failed: batch + MAX_QUEUED_SPANS });
      expect(tracing.unaccounted()).toBe(surplus);
      expect(logged.at(-1)).toMatch(new RegExp(`0 of ${batch + MAX_QUEUED_SPANS + surplus} spans sent .*; ${batch + MAX_QUEUED_SPANS} failed, ${surplus} dropped \\(queue full\\)$`));
    } finally {
      for (const socket of sockets) socket.destroy();
      stuck.close();
    }
  }, 60_000);
});

describe('one span pipeline per process', () => {
  const url = 'http://127.0.0.1:9/v1/traces'; // nothing listens: exports fail fast and are counted
  const recording = () => {
    const span = trace.getTracer('probe').startSpan('probe');
    span.end();
    return span.isRecording() || span.spanContext().traceFlags === 1;
  };

  test('two workers with the same settings share it: the first to stop leaves the other traced, the last shuts it down', async () => {
    const first = acquireTracing(enabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url }));
    const second = acquireTracing(enabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url }));
    expect(second.tracing).toBe(first.tracing);
    await first.release();
    await first.release(); // twice is once
    expect(recording()).toBe(true);
    expect(first.tracing.counts().ended).toBe(1);
    await second.release();
    expect(recording()).toBe(false);
  });

  test('a second, different collector in the same process is refused, naming both', async () => {
    const lease = acquireTracing(enabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url }));
    try {
      expect(() => acquireTracing(enabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:10/v1/traces' }))).toThrow(
        /already traces to http:\/\/127\.0\.0\.1:9\/v1\/traces .*cannot also trace to http:\/\/127\.0\.0\.1:10\/v1\/traces/,
      );
      expect(() => acquireTracing(enabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url, DXP_TRACE_PROJECT: 'other' }))).toThrow(TracingConfigError);
    } finally {
      await lease.release();
    }
    // Once released, another configuration may start.
    const next = acquireTracing(enabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:10/v1/traces' }));
    await next.release();
  });

  test('the TypeScript API: nothing configured is nothing started; a bad setting is refused by name', () => {
    expect(startTracingFromEnv({})).toBeUndefined();
    expect(() => startTracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
