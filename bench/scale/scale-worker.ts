/** The worker of a scale run: `dxp worker` in its own process, as in production, so its CPU and RSS are its own. */
import { join } from 'node:path';
import { startWorkerProcess, type WorkerProcess } from '../../test/helpers/processes';
import type { ScaleTarget } from './scale-target';

export const SCALE_TASK_QUEUE = 'bench-scale';

export function startScaleWorker(target: ScaleTarget, opts: { c: number; workflowBundle: string; workDir: string }): Promise<WorkerProcess> {
  return startWorkerProcess({
    name: `${target.kind} worker`,
    address: target.address,
    namespace: target.namespace,
    taskQueue: SCALE_TASK_QUEUE,
    dataDir: target.dataDir,
    workflowBundle: opts.workflowBundle,
    // The harness passes a ledger to its fixture tasks; the no-op task never writes one.
    ledger: join(opts.workDir, 'unused-ledger.jsonl'),
    tasks: join(__dirname, 'scale-tasks.ts'),
    shutdownGrace: '5s',
    // As bench/shared/dev-server.ts sizes its in-process worker: slots for every running example and the parent's own activities.
    env: { ...target.workerEnv, DXP_MAX_ACTIVITIES: String(Math.max(2 * opts.c, 100)) },
    // A loaded 2-core machine takes a while to load tsx and the task module.
    readyTimeoutMs: 180_000,
  });
}
