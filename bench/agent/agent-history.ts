/**
 * The example workflows' histories of an agent experiment: events and bytes per example for all
 * of them (from visibility), and from a few full histories the events by type and where a turn's
 * time goes (queueing, the call, the workflow's reaction between calls).
 */
import type { Client } from '@temporalio/client';
import { countTypes, eventMs, eventType, type HistoryEvent } from '../shared/history-events';

/** Full histories fetched per experiment: enough for the means, few enough to stay quick. */
export const AGENT_HISTORY_SAMPLE = 5;

export interface AgentHistoryFigures {
  /** Example workflows listed as closed, out of the N expected. */
  listed: number;
  /** Mean historyLength (visibility) over every example workflow; null when visibility never caught up. */
  eventsPerExample: number | null;
  /** Mean history size in bytes: visibility's historySize when the server reports it, else the sample's. */
  bytesPerExample: number | null;
  bytesSource: 'visibility' | 'sample' | null;
  sampleSize: number;
  /** Mean events by type over the sampled histories. */
  eventTypesSample: Record<string, number>;
  /** Mean ms over the sampled histories, by activity type and phase, and between calls. */
  phasesMs: Record<string, number>;
}

/** The example workflows of one experiment, as a visibility query. */
export const examplesOf = (name: string): string => `WorkflowType = "example" AND DxpExperiment = "${name}"`;

/** Figures of the `n` workflows `query` lists (dxp's: {@link examplesOf}). */
export async function agentHistories(client: Client, query: string, n: number): Promise<AgentHistoryFigures> {
  const deadline = Date.now() + 60_000;
  let ids: string[] = [];
  let listed = 0;
  let events: number | null = null;
  let bytes: number | null = null;
  // Visibility lags the histories: poll until every example is listed as closed.
  while (Date.now() < deadline) {
    let eventSum = 0;
    let byteSum = 0;
    let withBytes = 0;
    const closed: string[] = [];
    for await (const info of client.workflow.list({ query })) {
      if (info.status.name === 'RUNNING' || info.historyLength <= 0) continue;
      closed.push(info.workflowId);
      eventSum += info.historyLength;
      if (info.historySize !== undefined && info.historySize > 0) {
        byteSum += info.historySize;
        withBytes++;
      }
    }
    ids = closed;
    listed = closed.length;
    if (listed >= n) {
      events = eventSum / listed;
      bytes = withBytes === listed ? byteSum / listed : null;
      break;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }

  const sampleIds = ids.length <= AGENT_HISTORY_SAMPLE ? ids : Array.from({ length: AGENT_HISTORY_SAMPLE }, (_, i) => ids[Math.floor((i * ids.length) / AGENT_HISTORY_SAMPLE)] as string);
  const types: Record<string, number> = {};
  const phases: Record<string, number[]> = {};
  let sampleBytes = 0;
  for (const id of sampleIds) {
    const handle = client.workflow.getHandle(id);
    const history = (await handle.fetchHistory()).events ?? [];
    countTypes(history, types);
    turnPhases(history, phases);
    sampleBytes += Number((await handle.describe()).raw.workflowExecutionInfo?.historySizeBytes ?? 0);
  }
  const mean = (xs: number[]): number => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10;
  const k = sampleIds.length;
  return {
    listed,
    eventsPerExample: events,
    bytesPerExample: bytes ?? (k > 0 ? sampleBytes / k : null),
    bytesSource: bytes !== null ? 'visibility' : k > 0 ? 'sample' : null,
    sampleSize: k,
    eventTypesSample: k > 0 ? Object.fromEntries(Object.entries(types).map(([t, v]) => [t, v / k])) : {},
    phasesMs: Object.fromEntries(Object.entries(phases).map(([key, xs]) => [key, mean(xs)])),
  };
}

/** Adds one history's activity phases (per activity type) and the gaps between calls to `into`. */
function turnPhases(events: HistoryEvent[], into: Record<string, number[]>): void {
  const add = (key: string, ms: number): void => {
    if (Number.isFinite(ms)) (into[key] ??= []).push(ms);
  };
  const scheduled = new Map<string, { type: string; at: number }>();
  const started = new Map<string, number>();
  let lastCompleted: number | undefined;
  const begun = eventMs(events[0] as HistoryEvent);
  for (const ev of events) {
    const type = eventType(ev);
    const at = eventMs(ev);
    const s = ev.activityTaskScheduledEventAttributes;
    if (s) {
      const name = s.activityType?.name ?? '?';
      scheduled.set(String(ev.eventId), { type: name, at });
      if (lastCompleted === undefined) add('workflow started → first activity scheduled', at - begun);
      else add('activity completed → next activity scheduled (workflow task round trip)', at - lastCompleted);
    }
    const st = ev.activityTaskStartedEventAttributes;
    if (st) {
      const from = scheduled.get(String(st.scheduledEventId));
      if (from) add(`${from.type}: scheduled → started`, at - from.at);
      started.set(String(st.scheduledEventId), at);
    }
    const done = ev.activityTaskCompletedEventAttributes;
    if (done) {
      const from = scheduled.get(String(done.scheduledEventId));
      const start = started.get(String(done.scheduledEventId));
      if (from && start !== undefined) add(`${from.type}: started → completed`, at - start);
      if (from) add(`${from.type}: scheduled → completed`, at - from.at);
      lastCompleted = at;
    }
    if (type === 'workflowExecutionCompleted' && lastCompleted !== undefined) add('last activity completed → workflow completed', at - lastCompleted);
  }
  add('workflow started → completed', eventMs(events[events.length - 1] as HistoryEvent) - begun);
}
