/** Reading Temporal history events without the proto enums: type names, times, counts by type. */
import type { Client } from '@temporalio/client';

export type HistoryEvent = NonNullable<Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']>[number];

/** The event's type, from whichever `...EventAttributes` field it carries (no proto enum import needed). */
export function eventType(ev: HistoryEvent): string {
  for (const [key, value] of Object.entries(ev)) {
    if (key.endsWith('EventAttributes') && value) return key.slice(0, -'EventAttributes'.length);
  }
  return `type-${String(ev.eventType)}`;
}

/** Server time of the event in epoch ms; NaN when it has none. */
export function eventMs(ev: HistoryEvent): number {
  const t = ev.eventTime;
  if (!t) return NaN;
  return Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6;
}

/** Adds the events' counts by type to `into`, so several histories can be summed. */
export function countTypes(events: HistoryEvent[], into: Record<string, number> = {}): Record<string, number> {
  for (const ev of events) {
    const type = eventType(ev);
    into[type] = (into[type] ?? 0) + 1;
  }
  return into;
}
