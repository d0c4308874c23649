/**
 * Where an experiment is, read from the experiment itself: the progress query while it runs
 * (needs a worker), its summary once completed, and otherwise the server's visibility store
 * (its examples' search attributes), which answers without a worker.
 */
import type { Client, WorkflowExecutionStatusName } from '@temporalio/client';
import type { ExperimentProgress } from '../workflows/experiment-contract';
import type { ExperimentSummary } from '../core/records';
import { queryProgress, type ExperimentHandle } from './experiments';

/** How long a progress query may wait for a worker before we fall back to visibility. */
const QUERY_DEADLINE_MS = 3_000;

export interface ExperimentState {
  name: string;
  workflowId: string;
  status: WorkflowExecutionStatusName;
  /** The experiment's phase while running (preparing, running, finishing). */
  phase?: ExperimentProgress['phase'];
  /** Set while it is paused (`dxp pause`). */
  paused?: ExperimentProgress['paused'];
  taskQueue: string;
  startedAt: string;
  closedAt?: string;
  counts: { total: number | null; done: number; succeeded: number; failed: number; running: number };
  /** Finished runs per second since the experiment started. */
  ratePerSec?: number;
  /** Seconds left at that rate. */
  etaSeconds?: number;
  /** Where the counts come from. */
  source: 'progress' | 'summary' | 'visibility';
  /** Why a progress query got no answer (no worker on the task queue?). */
  note?: string;
  summary?: ExperimentSummary;
}

export async function readExperimentState(client: Client, handle: ExperimentHandle, now = Date.now()): Promise<ExperimentState> {
  const d = await handle.describe();
  const base = {
    name: handle.workflowId.replace(/^experiment\//, ''),
    workflowId: handle.workflowId,
    status: d.status.name,
    taskQueue: d.taskQueue,
    startedAt: d.startTime.toISOString(),
    ...(d.closeTime ? { closedAt: d.closeTime.toISOString() } : {}),
  };
  if (d.status.name === 'COMPLETED') {
    const summary = await handle.result();
    return { ...base, summary, source: 'summary', counts: { total: summary.runs, done: summary.runs, succeeded: summary.succeeded, failed: summary.failed, running: 0 } };
  }
  let note: string | undefined;
  if (d.status.name === 'RUNNING') {
    try {
      const p = await client.connection.withDeadline(now + QUERY_DEADLINE_MS, () => queryProgress(handle));
      const done = p.counts.succeeded + p.counts.failed;
      const elapsedSec = Math.max(0.001, (now - Date.parse(p.startedAt)) / 1000);
      const ratePerSec = done / elapsedSec;
      return {
        ...base,
        phase: p.phase,
        ...(p.paused ? { paused: p.paused } : {}),
        source: 'progress',
        counts: { total: p.counts.total, done, succeeded: p.counts.succeeded, failed: p.counts.failed, running: p.running },
        ratePerSec,
        ...(p.counts.total !== null && ratePerSec > 0 ? { etaSeconds: Math.max(0, p.counts.total - done) / ratePerSec } : {}),
      };
    } catch (err) {
      note = `no progress answer (is a worker running on task queue ${d.taskQueue}?): ${(err as Error).message.split('\n')[0]}`;
    }
  }
  const counts = await visibilityCounts(client, base.name);
  return { ...base, source: 'visibility', counts: { total: null, ...counts }, ...(note ? { note } : {}) };
}

/**
 * Example workflows of the experiment by their workflow status: answers without a worker, may lag
 * by a second. A run that failed fails its workflow, and one that closed any other way than
 * completing (terminated, timed out) is a failed run too.
 */
export async function visibilityCounts(client: Client, name: string): Promise<{ done: number; succeeded: number; failed: number; running: number }> {
  const of = `WorkflowType = "example" AND DxpExperiment = ${JSON.stringify(name)}`;
  const [closed, succeeded, running] = await Promise.all([
    client.workflow.count(`${of} AND ExecutionStatus != "Running"`),
    client.workflow.count(`${of} AND ExecutionStatus = "Completed"`),
    client.workflow.count(`${of} AND ExecutionStatus = "Running"`),
  ]);
  return { done: closed.count, succeeded: succeeded.count, failed: closed.count - succeeded.count, running: running.count };
}
