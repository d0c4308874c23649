/**
 * The example (child) workflows' histories: events per example for all of them (from
 * visibility, cheap), event types and phase timings from a sample (full histories, costly).
 */
import type { Client } from '@temporalio/client';
import { countTypes, eventMs, eventType, type HistoryEvent } from '../shared/history-events';

/** Enough full histories for stable means without fetching one per example. */
const CHILD_SAMPLE = 20;

/** Child history lengths from visibility (all), event types and phases from a sample of full histories. */
export async function childHistories(client: Client, name: string, n: number, workflowType = 'example') {
  const query = `WorkflowType = "${workflowType}" AND DxpExperiment = "${name}"`;
  const deadline = Date.now() + 60_000;
  let childEvents: number | null = null;
  let ids: string[] = [];
  // Visibility lags the histories: poll until every child is listed as closed (null if it never is).
  while (Date.now() < deadline) {
    let events = 0;
    let closed = 0;
    const seen: string[] = [];
    for await (const info of client.workflow.list({ query })) {
      seen.push(info.workflowId);
      if (info.status.name !== 'RUNNING' && info.historyLength > 0) {
        closed++;
        events += info.historyLength;
      }
    }
    ids = seen;
    if (closed >= n) {
      childEvents = events;
      break;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }

  // Spread the sample over the whole list, so children from early and late in the run are both in it.
  const sampleIds = ids.length <= CHILD_SAMPLE ? ids : Array.from({ length: CHILD_SAMPLE }, (_, i) => ids[Math.floor((i * ids.length) / CHILD_SAMPLE)] as string);
  const types: Record<string, number> = {};
  const phases: Record<string, number[]> = {};
  const addPhase = (key: string, ms: number): void => {
    if (Number.isFinite(ms)) (phases[key] ??= []).push(ms);
  };
  for (const id of sampleIds) {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    countTypes(events, types);
    // NaN when the history has no such event (addPhase leaves it out).
    const at = (type: string, nth = 0): number => {
      const event = events.filter((ev) => eventType(ev) === type)[nth];
      return event ? eventMs(event as HistoryEvent) : NaN;
    };
    const started = at('workflowExecutionStarted');
    addPhase('started → first workflow task completed', at('workflowTaskCompleted') - started);
    addPhase('activity scheduled → activity started', at('activityTaskStarted') - at('activityTaskScheduled'));
    addPhase('activity started → activity completed', at('activityTaskCompleted') - at('activityTaskStarted'));
    addPhase('activity completed → child completed', at('workflowExecutionCompleted') - at('activityTaskCompleted'));
    // Only a child handed over to the parent's next generation reports by signal.
    addPhase('activity completed → signal to parent initiated', at('signalExternalWorkflowExecutionInitiated') - at('activityTaskCompleted'));
    addPhase('signal initiated → parent signaled', at('externalWorkflowExecutionSignaled') - at('signalExternalWorkflowExecutionInitiated'));
    addPhase('started → completed (child total)', at('workflowExecutionCompleted') - started);
  }
  const mean = (xs: number[]): number => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10;
  return {
    childEvents,
    childEventTypesSample: sampleIds.length ? Object.fromEntries(Object.entries(types).map(([k, v]) => [k, v / sampleIds.length])) : null,
    childSampleSize: sampleIds.length,
    childPhasesMs: sampleIds.length ? Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, mean(v)])) : null,
  };
}
