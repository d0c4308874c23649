/**
 * Tracing of a CLI command that starts work (`dxp run`): with OTEL_EXPORTER_OTLP_* or DXP_TRACING
 * set, the start is the root span of the experiment's trace, which the workers carry on. Bad
 * settings are refused like the worker's; none set, nothing is loaded beyond this check.
 */
import { acquireTracing, type TracingLease } from '../connection/process-tracing';
import { tracingConfigFromEnv, TracingConfigError } from '../connection/tracing-config';
import { CliError, EXIT } from './cli-context';

export function startCliTracing(env: NodeJS.ProcessEnv = process.env): TracingLease | undefined {
  let config;
  try {
    config = tracingConfigFromEnv(env);
  } catch (err) {
    if (err instanceof TracingConfigError) throw new CliError(`tracing: ${err.message}`, EXIT.badInput);
    throw err;
  }
  // A command's output is its own: only trouble with the collector is worth a line.
  return config.enabled ? acquireTracing(config, (level, message) => level === 'warn' && process.stderr.write(`dxp: warning: ${message}\n`)) : undefined;
}
