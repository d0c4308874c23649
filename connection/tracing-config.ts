/**
 * Tracing's settings, from OpenTelemetry's own variables, for the worker and the CLI alike:
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the full URL) or `OTEL_EXPORTER_OTLP_ENDPOINT` (the base,
 * `/v1/traces` appended), `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`
 * (+ `_ARG`), `OTEL_SDK_DISABLED`; or a preset, `DXP_TRACING=phoenix|arize`, that fills them in.
 * Off unless one of them is set, so tracing costs nothing by default. A bad value is refused,
 * naming the variable. Header values are secrets (API keys): they are never in an error.
 */

export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';
const SAMPLERS: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

export const DEFAULT_PHOENIX_ENDPOINT = 'http://localhost:6006';
/** Arize AX's OTLP/HTTP endpoint (the `arize-otel` packages' default). */
export const ARIZE_OTLP_TRACES_URL = 'https://otlp.arize.com/v1/traces';
export const DEFAULT_SERVICE_NAME = 'dxp';
/** The project (Phoenix, Arize) the traces go to when DXP_TRACE_PROJECT does not name one. */
export const DEFAULT_TRACE_PROJECT = 'dxp';

export type TracingConfig =
  | { enabled: false }
  | {
      enabled: true;
      /** Where spans go: OTLP over HTTP with protobuf. */
      tracesUrl: string;
      headers: Record<string, string>;
      serviceName: string;
      /** `openinference.project.name`, the project Phoenix and Arize file the traces under. */
      projectName: string;
      sampler: SamplerName;
      /** For the ratio samplers: the share of traces kept, 0..1. */
      ratio: number;
      /** What set it up, for the worker's start line (never a header value). */
      source: 'otel' | 'phoenix' | 'arize';
    };

export class TracingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TracingConfigError';
  }
}

export function tracingConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw ? raw : undefined;
  };
  if (isTrue(value('OTEL_SDK_DISABLED'), 'OTEL_SDK_DISABLED')) return { enabled: false };
  const preset = value('DXP_TRACING');
  if (preset !== undefined && preset !== 'phoenix' && preset !== 'arize' && preset !== 'otel') {
    throw new TracingConfigError(`DXP_TRACING must be phoenix, arize or otel; got ${JSON.stringify(preset)}`);
  }
  const tracesEndpoint = value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = value('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (preset === undefined && tracesEndpoint === undefined && baseEndpoint === undefined) return { enabled: false };

  const headers = parseHeaders(value('OTEL_EXPORTER_OTLP_TRACES_HEADERS') ?? value('OTEL_EXPORTER_OTLP_HEADERS'));
  let tracesUrl: string;
  if (tracesEndpoint !== undefined) tracesUrl = httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint);
  else if (baseEndpoint !== undefined) tracesUrl = `${httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', baseEndpoint).replace(/\/+$/, '')}/v1/traces`;
  else if (preset === 'phoenix') {
    const base = value('PHOENIX_COLLECTOR_ENDPOINT') ?? DEFAULT_PHOENIX_ENDPOINT;
    tracesUrl = `${httpUrl('PHOENIX_COLLECTOR_ENDPOINT', base).replace(/\/+$/, '').replace(/\/v1\/traces$/, '')}/v1/traces`;
  } else if (preset === 'arize') tracesUrl = ARIZE_OTLP_TRACES_URL;
  else throw new TracingConfigError('DXP_TRACING=otel needs OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');

  if (preset === 'phoenix' && value('PHOENIX_API_KEY') && headers.authorization === undefined) {
    headers.authorization = `Bearer ${value('PHOENIX_API_KEY')}`;
  }
  if (preset === 'arize') {
    const missing = ['ARIZE_SPACE_ID', 'ARIZE_API_KEY'].filter((name) => value(name) === undefined);
    if (missing.length > 0) throw new TracingConfigError(`DXP_TRACING=arize needs ${missing.join(' and ')} (the space's id and an API key)`);
    headers.space_id ??= value('ARIZE_SPACE_ID')!;
    headers.api_key ??= value('ARIZE_API_KEY')!;
  }

  const samplerRaw = (value('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(samplerRaw)) {
    throw new TracingConfigError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}; got ${JSON.stringify(samplerRaw)}`);
  }
  const sampler = samplerRaw as SamplerName;
  const ratioRaw = value('OTEL_TRACES_SAMPLER_ARG');
  const ratio = ratioRaw === undefined ? 1 : Number(ratioRaw);
  if (sampler.endsWith('traceidratio') && !(Number.isFinite(ratio) && ratio >= 0 && ratio <= 1)) {
    throw new TracingConfigError(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 for ${sampler}; got ${JSON.stringify(ratioRaw)}`);
  }
  return {
    enabled: true,
    tracesUrl,
    headers,
    serviceName: value('OTEL_SERVICE_NAME') ?? DEFAULT_SERVICE_NAME,
    projectName: value('DXP_TRACE_PROJECT') ?? DEFAULT_TRACE_PROJECT,
    sampler,
    ratio,
    source: preset === 'phoenix' || preset === 'arize' ? preset : 'otel',
  };
}

function isTrue(raw: string | undefined, name: string): boolean {
  if (raw === undefined) return false;
  const lower = raw.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw new TracingConfigError(`${name} must be true or false; got ${JSON.stringify(raw)}`);
}

function httpUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TracingConfigError(`${name} must be an http(s) URL; got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TracingConfigError(`${name} must be an http(s) URL; got ${JSON.stringify(raw)}`);
  return raw;
}

/** `key=value,key2=value2`, values URL-encoded (the OTLP exporter spec's format). */
function parseHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (raw === undefined) return headers;
  for (const [i, pair] of raw.split(',').entries()) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    // Only the position and key are named: the value may be an API key.
    if (!key) throw new TracingConfigError(`OTEL_EXPORTER_OTLP_HEADERS: entry ${i + 1} is not key=value`);
    let decoded: string;
    try {
      decoded = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw new TracingConfigError(`OTEL_EXPORTER_OTLP_HEADERS: the value of '${key}' is not URL-encoded text`);
    }
    headers[key.toLowerCase()] = decoded;
  }
  return headers;
}
