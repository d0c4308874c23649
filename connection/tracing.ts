/**
 * The span pipeline of a traced process: a tracer provider whose spans go, in batches, over
 * OTLP/HTTP (protobuf) to the configured collector (tracing-config.ts). A collector that is down
 * or slow never fails or slows what is traced: the queue is bounded (spans beyond it are dropped),
 * exports time out, and what was exported, refused or dropped is counted for the process's log.
 */
import { context, propagation, trace, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { SamplerName, TracingConfig } from './tracing-config';

/** Spans waiting for export; beyond this they are dropped (and counted), never held in memory. */
export const MAX_QUEUED_SPANS = 4096;
const EXPORT_BATCH = 512;
const EXPORT_TIMEOUT_MS = 10_000;
const SCHEDULE_DELAY_MS = 1_000;
/** A span attribute longer than this is cut by the SDK: no span carries a 2 MB payload. */
const MAX_ATTRIBUTE_CHARS = 32 * 1024;

export interface TracingCounts {
  /** Spans that ended (and were sampled). */
  ended: number;
  exported: number;
  /** Spans in batches the collector refused or that did not reach it. */
  failed: number;
}

export interface Tracing {
  provider: BasicTracerProvider;
  /** The processor every span goes through (workflow spans, which leave the sandbox by a sink, too). */
  spanProcessor: SpanProcessor;
  resource: Resource;
  counts(): TracingCounts;
  /** Spans ended but neither exported nor failed: still queued, or dropped by the full queue. */
  unaccounted(): number;
  /** Exports what is queued (bounded by the export timeout) and stops; a failed export is counted, not thrown. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /**
   * Default true: the process's tracer provider, context manager (async hooks) and W3C trace
   * context propagator, so that `trace.getTracer(...)` in user code finds it, `startActiveSpan`
   * nests under the span around it (an activity's, a step's) with no dxp-specific code, and the
   * Temporal interceptors carry the trace in the headers of workflows and activities.
   */
  global?: boolean;
  /** How long one export may take before it counts as failed; default 10 s. */
  exportTimeoutMs?: number;
  /**
   * Where the pipeline says what went wrong: the first failed export after a good one (or the
   * start), and at shutdown what was exported, failed and dropped. Default: stderr.
   */
  log?: TracingLog;
}

export type TracingLog = (level: 'info' | 'warn', message: string) => void;

const stderrLog: TracingLog = (level, message) => process.stderr.write(`${level === 'warn' ? 'warning: ' : ''}${message}\n`);

export function startTracing(config: Extract<TracingConfig, { enabled: true }>, options: StartTracingOptions = {}): Tracing {
  const counts: TracingCounts = { ended: 0, exported: 0, failed: 0 };
  const exportTimeoutMs = options.exportTimeoutMs ?? EXPORT_TIMEOUT_MS;
  const target = new OTLPTraceExporter({ url: config.tracesUrl, headers: config.headers, timeoutMillis: exportTimeoutMs });
  const inFlight = new Set<Promise<void>>();
  const log = options.log ?? stderrLog;
  const counted = countingExporter(target, counts, inFlight, (spans, error) =>
    log('warn', `tracing: ${spans} spans could not be sent to ${config.tracesUrl} (${error}); runs go on, spans that fail are counted and dropped`),
  );
  const batches = new BatchSpanProcessor(counted, {
    maxQueueSize: MAX_QUEUED_SPANS,
    maxExportBatchSize: EXPORT_BATCH,
    scheduledDelayMillis: SCHEDULE_DELAY_MS,
    exportTimeoutMillis: exportTimeoutMs,
  });
  const resource = new Resource({ 'service.name': config.serviceName, 'openinference.project.name': config.projectName });
  const provider = new BasicTracerProvider({
    resource,
    sampler: samplerOf(config.sampler, config.ratio),
    spanLimits: { attributeValueLengthLimit: MAX_ATTRIBUTE_CHARS },
  });
  const spanProcessor = countingProcessor(batches, counts);
  provider.addSpanProcessor(spanProcessor);
  // One per process: a second traced worker in the same process shares the first's (and the first's shutdown ends both).
  const global = options.global ?? true;
  if (global) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  }
  return {
    provider,
    spanProcessor,
    resource,
    counts: () => ({ ...counts }),
    unaccounted: () => counts.ended - counts.exported - counts.failed,
    async shutdown() {
      // A failed batch is counted already: the process stopping must not fail with it. The first
      // failure ends the provider's flush while other batches are still on their way: wait for them.
      await provider.shutdown().catch(() => undefined);
      await Promise.all(inFlight);
      const dropped = counts.ended - counts.exported - counts.failed;
      if (counts.ended > 0) {
        log(counts.failed + dropped > 0 ? 'warn' : 'info', `tracing: ${counts.exported} of ${counts.ended} spans sent to ${config.tracesUrl}; ${counts.failed} failed, ${dropped} dropped (queue full)`);
      }
      if (global) {
        trace.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
}

function samplerOf(name: SamplerName, ratio: number): Sampler {
  const root = name.endsWith('always_off') ? new AlwaysOffSampler() : name.endsWith('traceidratio') ? new TraceIdRatioBasedSampler(ratio) : new AlwaysOnSampler();
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/** Counts every sampled span that ends, before the batch processor queues (or drops) it. */
function countingProcessor(inner: SpanProcessor, counts: TracingCounts): SpanProcessor {
  return {
    onStart: (span: Span, parent: Context) => inner.onStart(span, parent),
    onEnd: (span: ReadableSpan) => {
      counts.ended++;
      inner.onEnd(span);
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  };
}

/**
 * Counts what each export came to, and keeps the ones on their way (each bounded by the export
 * timeout); says so on the first failure after a success, not on every one of a long outage.
 */
function countingExporter(inner: SpanExporter, counts: TracingCounts, inFlight: Set<Promise<void>>, onOutage: (spans: number, error: string) => void): SpanExporter {
  let failing = false;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      let settle: () => void = () => undefined;
      const pending = new Promise<void>((resolve) => (settle = resolve));
      inFlight.add(pending);
      inner.export(spans, (result) => {
        if (result.code === ExportResultCode.SUCCESS) {
          counts.exported += spans.length;
          failing = false;
        } else {
          counts.failed += spans.length;
          if (!failing) onOutage(spans.length, result.error?.message ?? 'export failed');
          failing = true;
        }
        inFlight.delete(pending);
        settle();
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    ...(inner.forceFlush ? { forceFlush: () => inner.forceFlush!() } : {}),
  };
}
