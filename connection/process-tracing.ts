/**
 * One span pipeline per process, shared. The OpenTelemetry API has one global tracer provider, so
 * two traced workers in one process (or a worker and the TypeScript API's client) must share it:
 * each acquires it, the first creates it, the last release shuts it down (exporting what is
 * queued). A second, different tracing configuration in the same process is refused rather than
 * silently sending one worker's spans to the other's collector.
 */
import { startTracing, type Tracing, type TracingLog } from './tracing';
import { tracingConfigFromEnv, TracingConfigError, type TracingConfig } from './tracing-config';

type EnabledConfig = Extract<TracingConfig, { enabled: true }>;

export interface TracingLease {
  tracing: Tracing;
  /** Gives the lease back; the last one shuts the pipeline down. Idempotent. */
  release(): Promise<void>;
}

let shared: { tracing: Tracing; key: string; config: EnabledConfig; leases: number } | undefined;

/** `log`: where the pipeline reports failed exports and its final counts (its creator's is used). */
export function acquireTracing(config: EnabledConfig, log?: TracingLog): TracingLease {
  const key = keyOf(config);
  if (shared && shared.key !== key) {
    throw new TracingConfigError(
      `this process already traces to ${shared.config.tracesUrl} (project ${shared.config.projectName}); ` +
        `one process has one tracer provider, so it cannot also trace to ${config.tracesUrl} (project ${config.projectName}): run that worker in a process of its own`,
    );
  }
  shared ??= { tracing: startTracing(config, log ? { log } : {}), key, config, leases: 0 };
  const held = shared;
  held.leases++;
  let released = false;
  return {
    tracing: held.tracing,
    async release() {
      if (released) return;
      released = true;
      held.leases--;
      if (held.leases > 0) return;
      if (shared === held) shared = undefined;
      await held.tracing.shutdown();
    },
  };
}

/**
 * For the TypeScript API: traces this process (a script that starts experiments, a worker you
 * create yourself) as `OTEL_EXPORTER_OTLP_*` or `DXP_TRACING` say, sharing the span pipeline with
 * any worker in it. Undefined when nothing is configured; throws TracingConfigError on a bad setting.
 * Call `release()` before the process exits, so queued spans are sent.
 */
export function startTracingFromEnv(env: NodeJS.ProcessEnv = process.env): TracingLease | undefined {
  const config = tracingConfigFromEnv(env);
  return config.enabled ? acquireTracing(config) : undefined;
}

/** Everything that decides where spans go and what they say (headers included: another key is another tenant). */
function keyOf(config: EnabledConfig): string {
  return JSON.stringify([config.tracesUrl, Object.entries(config.headers).sort(), config.serviceName, config.projectName, config.sampler, config.ratio]);
}
