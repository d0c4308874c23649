/**
 * Test harness: a real Temporal dev server (ephemeral ports, temp database) and real workers.
 * A missing Temporal CLI fails the test with the install instructions; it never skips.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { TaskModule } from '../../activities/tasks/define';
import { FAILURE_CONVERTER_PATH } from '../../connection/codec/data-converter';
import { startDevServer, type DevServer, type DevServerOptions } from '../../client/dev-server';
import { workerSettings, type WorkerSettings } from '../../workers/config';
import { createWorker, type DxpWorker } from '../../workers/create-worker';

let runtimeInstalled = false;
export function installRuntime(): void {
  if (runtimeInstalled) return;
  // Tests fail examples on purpose: the SDK's per-failure warnings would bury the results.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

export function tempDir(prefix = 'dxp-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestServer(opts: DevServerOptions = {}): Promise<DevServer> {
  installRuntime();
  return startDevServer({ headless: true, ...opts });
}

let bundlePromise: Promise<{ code: string }> | undefined;
/** Workflow code bundled once per test file (bundling takes seconds). */
export function workflowBundle(): Promise<{ code: string }> {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
  return bundlePromise;
}

/** Writes the bundle to a file, for worker processes started by a test. */
export async function workflowBundleFile(): Promise<string> {
  const path = join(tempDir('dxp-bundle-'), 'workflows.js');
  writeFileSync(path, (await workflowBundle()).code);
  return path;
}

/** The bundle an encrypting worker needs (DXP_CODEC_KEYS): built with the encrypting failure converter. */
export async function encryptedWorkflowBundleFile(): Promise<string> {
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') });
  const path = join(tempDir('dxp-bundle-'), 'workflows-encrypted.js');
  writeFileSync(path, bundle.code);
  return path;
}

export async function connectTestClient(server: DevServer): Promise<Client> {
  const connection = await Connection.connect({ address: server.address });
  return new Client({ connection, namespace: server.namespace });
}

export interface RunningWorker {
  worker: DxpWorker;
  stop(): Promise<void>;
}

export async function startTestWorker(
  server: DevServer,
  opts: {
    dataDir: string;
    taskQueue: string;
    modules?: TaskModule[];
    tasksModule?: string;
    env?: NodeJS.ProcessEnv;
    /** The model client's and DXP_SANDBOX's settings (createWorker's `serviceEnv`); default: process.env. */
    serviceEnv?: NodeJS.ProcessEnv;
    /** A workflow bundle of its own (e.g. with the tracing interceptors); default: the shared one. */
    workflowBundle?: { code: string };
    /** Overrides of the parsed settings, e.g. `{ modelRate: 2 }`. */
    settings?: Partial<WorkerSettings>;
  },
): Promise<RunningWorker> {
  installRuntime();
  const connection = await NativeConnection.connect({ address: server.address });
  const settings = {
    ...workerSettings({ dataDir: opts.dataDir, taskQueue: opts.taskQueue, ...(opts.tasksModule ? { tasks: opts.tasksModule } : {}) }, {}),
    shutdownGraceTime: '2s',
    ...opts.settings,
  };
  const worker = await createWorker({
    connection,
    namespace: server.namespace,
    settings,
    modules: opts.modules ?? [],
    workflowBundle: opts.workflowBundle ?? (await workflowBundle()),
    env: opts.env ?? {},
    ...(opts.serviceEnv ? { serviceEnv: opts.serviceEnv } : {}),
  });
  const running = worker.run();
  let stopped: Promise<void> | undefined;
  return {
    worker,
    // Once: a test may stop its worker (to flush its spans) before afterAll stops it again.
    stop() {
      stopped ??= (async () => {
        worker.shutdown(); // a no-op for a worker that already stopped
        await running;
        await connection.close();
      })();
      return stopped;
    },
  };
}

export function writeJsonl(dir: string, name: string, rows: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}

/**
 * With DXP_RECORD_HISTORIES=1, saves a workflow's history under test/histories/ for the replay
 * test. Re-record only for an intended change of workflow code (nothing is deployed yet).
 */
export async function recordHistory(client: Client, workflowId: string, file: string, runId?: string): Promise<void> {
  if (process.env.DXP_RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  writeFileSync(join(__dirname, '..', 'histories', file), historyToJSON(history));
}
