/**
 * The experiment workflow's continue-as-new chain, one generation at a time (a 100k run's whole
 * chain would not fit the bench process at once): events, bytes, workflow-task failures and the
 * time of each continue-as-new.
 */
import type { Client } from '@temporalio/client';
import { experimentWorkflowId } from '../../workflows/experiment-contract';
import { countTypes, eventMs, type HistoryEvent } from '../shared/history-events';

export interface Generation {
  runId: string;
  /** The first event's time: when this generation started. */
  startedAt: string;
  events: number;
  bytes: number;
}

export interface ChainFigures {
  generations: Generation[];
  events: number;
  bytes: number;
  eventTypes: Record<string, number>;
  workflowTaskFailed: number;
  workflowTaskTimedOut: number;
  /** Each failed workflow task: generation (1-based), WorkflowTaskFailedCause number, first words of the message. */
  workflowTaskFailures: { generation: number; cause: number | null; message: string }[];
  /** ms from each generation's start to the next one's: one per continue-as-new. */
  continueAsNewMs: number[];
}

/** Walks back from the latest run through `continuedExecutionRunId`. */
export async function parentChain(client: Client, name: string): Promise<ChainFigures> {
  const workflowId = experimentWorkflowId(name);
  const generations: (Generation & { startMs: number })[] = [];
  const eventTypes: Record<string, number> = {};
  const failures: { back: number; cause: number | null; message: string }[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const handle = client.workflow.getHandle(workflowId, runId);
    const events: HistoryEvent[] = (await handle.fetchHistory()).events ?? [];
    countTypes(events, eventTypes);
    for (const ev of events) {
      const failed = ev.workflowTaskFailedEventAttributes;
      // Counted from the latest generation back; numbered from the first once the chain is known.
      if (failed) failures.push({ back: generations.length, cause: failed.cause ?? null, message: (failed.failure?.message ?? '').slice(0, 200) });
    }
    const d = await handle.describe();
    const startMs = events[0] ? eventMs(events[0]) : NaN;
    generations.unshift({ runId, startedAt: new Date(startMs).toISOString(), startMs, events: events.length, bytes: Number(d.raw.workflowExecutionInfo?.historySizeBytes ?? 0) });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  const continueAsNewMs = generations.slice(1).map((g, i) => g.startMs - (generations[i]?.startMs ?? NaN));
  return {
    generations: generations.map(({ startMs: _, ...g }) => g),
    events: generations.reduce((a, g) => a + g.events, 0),
    bytes: generations.reduce((a, g) => a + g.bytes, 0),
    eventTypes,
    workflowTaskFailed: eventTypes.workflowTaskFailed ?? 0,
    workflowTaskTimedOut: eventTypes.workflowTaskTimedOut ?? 0,
    workflowTaskFailures: failures.map(({ back, ...f }) => ({ generation: generations.length - back, ...f })),
    continueAsNewMs,
  };
}
