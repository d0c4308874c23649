/** `dxp worker`: runs workflows and activities until SIGINT/SIGTERM, then drains within the grace time. */
import { Runtime } from '@temporalio/worker';
import { connectWorker, createWorker } from '../../workers/create-worker';
import { ResultsStoreError } from '../../activities/sinks/postgres-store';
import { describeStore } from '../../activities/sinks/store-config';
import { workerSettings, type WorkerFlags } from '../../workers/config';
import { WorkerLogger } from '../../workers/logger';
import { tracingConfigFromEnv } from '../../connection/tracing-config';
import { CliError, EXIT, loadConnectionConfig, unreachableMessage } from '../cli-context';
import { requireSearchAttributes } from '../search-attributes-check';

export async function workerCommand(flags: WorkerFlags): Promise<number> {
  const config = loadConnectionConfig();
  let settings;
  try {
    settings = workerSettings(flags);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.badInput);
  }
  // The SDK's runtime handles SIGINT/SIGTERM: worker.run() resolves once both SDK workers have drained.
  // One line per log entry at INFO and above; stacks of failures at DEBUG (workers/logger.ts).
  Runtime.install({ logger: new WorkerLogger(settings.logLevel) });
  let connection;
  try {
    connection = await connectWorker(config);
  } catch (err) {
    throw new CliError(unreachableMessage(config, err), EXIT.unreachable);
  }
  try {
    // Without them every start of an example fails; say so now, in one line, not in each workflow task.
    await requireSearchAttributes(connection.operatorService, config.namespace);
    const worker = await createWorker({ connection, namespace: config.namespace, settings }).catch((err: unknown) => {
      if (err instanceof ResultsStoreError) throw new CliError(err.message, err.unreachable ? EXIT.unreachable : EXIT.badInput);
      throw err;
    });
    process.stdout.write(
      `dxp worker on ${config.address}, namespace ${config.namespace}, task queue ${settings.taskQueue}` +
        `, model queue ${settings.modelTaskQueue} (${settings.modelRate !== undefined ? `${settings.modelRate}/s across workers` : 'no rate limit'})` +
        `${settings.tasksModule ? `, tasks ${settings.tasksModule}` : ''}; results in ${describeStore(settings.resultsStore)} (queue ${worker.resultsTaskQueue})` +
        `${describeTracing()}\n`,
    );
    await worker.run();
    return EXIT.ok;
  } finally {
    await connection.close();
  }
}

/** Where the worker's spans go (the URL and project, never a header), or nothing when tracing is off. */
function describeTracing(): string {
  const tracing = tracingConfigFromEnv(process.env);
  return tracing.enabled ? `; traces to ${tracing.tracesUrl} (project ${tracing.projectName})` : '';
}
