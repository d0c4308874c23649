/**
 * The experiment (parent) workflow's history: events per example and by type, and the
 * timings that explain the pipeline's pace (in-flight children, reaction to each finished
 * child, the parent's own activities, workflow task failures).
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { experimentWorkflowId } from '../../workflows/experiment-contract';
import type { RunRecord } from '../../core/records';
import { latencyOf, type PipelineExtras } from '../shared/figures';
import { countTypes, eventMs, type HistoryEvent } from '../shared/history-events';

/**
 * Every run of the parent's continue-as-new chain: walks back from the latest run through
 * `continuedExecutionRunId`, and cross-checks the count with a visibility list.
 */
export async function parentHistory(client: Client, name: string, startedAtMs: number) {
  const workflowId = experimentWorkflowId(name);
  const latest = await client.workflow.getHandle(workflowId).describe();
  const runs: { runId: string; events: HistoryEvent[] }[] = [];
  for (let runId: string | undefined = latest.runId; runId; ) {
    const events: HistoryEvent[] = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    runs.unshift({ runId, events });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  let parentRunsListed = 0;
  for await (const _ of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) parentRunsListed++;

  const parentEventTypes: Record<string, number> = {};
  let parentEvents = 0;
  let parentHistoryBytes = 0;
  const initiated = new Map<string, number>();
  const observed: number[] = [];
  const reportTimes: number[] = [];
  const reported = new Set<string>();
  const inFlightSteps: { at: number; delta: number }[] = [];
  const startTimes: number[] = [];
  const activityScheduled = new Map<string, { type: string; at: number }>();
  const activityTimes: Record<string, number[]> = {};
  const parentWorkflowTaskFailures: PipelineExtras['parentWorkflowTaskFailures'] = [];
  let firstChildStart = Infinity;
  for (const [runIndex, run] of runs.entries()) {
    parentEvents += run.events.length;
    countTypes(run.events, parentEventTypes);
    for (const ev of run.events) {
      const wftFailed = ev.workflowTaskFailedEventAttributes;
      if (wftFailed) {
        parentWorkflowTaskFailures.push({
          run: runIndex + 1,
          eventId: String(ev.eventId),
          cause: wftFailed.cause ?? null,
          message: (wftFailed.failure?.message ?? '').slice(0, 300),
        });
      }
      const start = ev.startChildWorkflowExecutionInitiatedEventAttributes;
      if (start?.workflowId) {
        initiated.set(start.workflowId, eventMs(ev));
        inFlightSteps.push({ at: eventMs(ev), delta: 1 });
        startTimes.push(eventMs(ev));
        firstChildStart = Math.min(firstChildStart, eventMs(ev));
      }
      const scheduled = ev.activityTaskScheduledEventAttributes;
      if (scheduled) activityScheduled.set(`${run.runId}/${String(ev.eventId)}`, { type: scheduled.activityType?.name ?? '?', at: eventMs(ev) });
      const done = ev.activityTaskCompletedEventAttributes ?? ev.activityTaskFailedEventAttributes ?? ev.activityTaskTimedOutEventAttributes;
      if (done) {
        const from = activityScheduled.get(`${run.runId}/${String(done.scheduledEventId)}`);
        if (from) (activityTimes[from.type] ??= []).push(eventMs(ev) - from.at);
      }
      const child = reportedBy(ev);
      if (child !== undefined && !reported.has(child)) {
        reported.add(child);
        const begun = initiated.get(child);
        if (begun !== undefined) {
          observed.push(eventMs(ev) - begun);
          inFlightSteps.push({ at: eventMs(ev), delta: -1 });
        }
        reportTimes.push(eventMs(ev));
      }
    }
  }
  // History size as the server reports it for the latest run, plus the earlier runs' sizes.
  for (const run of runs) {
    const d = await client.workflow.getHandle(workflowId, run.runId).describe();
    parentHistoryBytes += Number(d.raw.workflowExecutionInfo?.historySizeBytes ?? 0);
  }
  const completionsPer10s: number[] = [];
  for (const at of reportTimes) {
    const bucket = Math.max(0, Math.floor((at - startedAtMs) / 10_000));
    while (completionsPer10s.length <= bucket) completionsPer10s.push(0);
    completionsPer10s[bucket] = (completionsPer10s[bucket] ?? 0) + 1;
  }
  const lastStart = Math.max(...startTimes);
  const reaction: number[] = [];
  for (const at of reportTimes) {
    if (at > lastStart) continue;
    const next = startTimes.find((t) => t >= at);
    if (next !== undefined) reaction.push(next - at);
  }
  const continueAsNewPausesMs: { toContinue: number; toNextStart: number }[] = [];
  for (const [i, run] of runs.entries()) {
    const next = runs[i + 1];
    const continued = run.events.find((ev) => ev.workflowExecutionContinuedAsNewEventAttributes);
    if (!next || !continued) continue;
    const starts = (events: HistoryEvent[]) => events.filter((ev) => ev.startChildWorkflowExecutionInitiatedEventAttributes).map(eventMs);
    const lastStart = Math.max(...starts(run.events));
    const nextStart = Math.min(...starts(next.events));
    continueAsNewPausesMs.push({ toContinue: eventMs(continued) - lastStart, toNextStart: nextStart - eventMs(continued) });
  }
  const parentActivities = Object.fromEntries(
    Object.entries(activityTimes).map(([type, xs]) => [
      type,
      { count: xs.length, meanMs: Math.round(xs.reduce((a, b) => a + b, 0) / xs.length), maxMs: Math.round(Math.max(...xs)) },
    ]),
  );
  return {
    inFlight: inFlightStats(inFlightSteps),
    parentReactionMs: reaction.length ? latencyOf(reaction) : null,
    parentActivities,
    parentWorkflowTaskFailures,
    continueAsNewPausesMs,
    parentRuns: runs.length,
    parentRunsListed,
    parentEvents,
    parentEventTypes,
    parentHistoryBytes,
    parentObservedLatencyMs: observed.length ? latencyOf(observed) : null,
    completionsPer10s,
    firstChildStartMs: Number.isFinite(firstChildStart) ? firstChildStart - startedAtMs : null,
    lastReportMs: reportTimes.length ? Math.max(...reportTimes) - startedAtMs : null,
  };
}

/** Time-weighted mean and max of a count that steps up and down, between its first and last step. */
function inFlightStats(steps: { at: number; delta: number }[]): { timeWeightedMean: number; max: number } | null {
  if (steps.length < 2) return null;
  const sorted = [...steps].sort((a, b) => a.at - b.at || b.delta - a.delta);
  let level = 0;
  let max = 0;
  let area = 0;
  let prev = sorted[0]?.at ?? 0;
  for (const step of sorted) {
    area += level * (step.at - prev);
    prev = step.at;
    level += step.delta;
    max = Math.max(max, level);
  }
  const span = prev - (sorted[0]?.at ?? 0);
  return { timeWeightedMean: span > 0 ? area / span : NaN, max };
}

/**
 * The example a parent event reports, if it does: a `runFinished` signal (its record's workflow
 * id), or a child's close in the generation that started it (its completion is its report).
 */
function reportedBy(ev: HistoryEvent): string | undefined {
  const signal = ev.workflowExecutionSignaledEventAttributes;
  if (signal?.signalName === 'runFinished') {
    const payload = signal.input?.payloads?.[0];
    return payload ? defaultPayloadConverter.fromPayload<RunRecord>(payload).workflowId : undefined;
  }
  const closed =
    ev.childWorkflowExecutionCompletedEventAttributes ??
    ev.childWorkflowExecutionFailedEventAttributes ??
    ev.childWorkflowExecutionTerminatedEventAttributes ??
    ev.childWorkflowExecutionTimedOutEventAttributes;
  return closed?.workflowExecution?.workflowId ?? undefined;
}
