/**
 * Payloads as span attributes: text as it is, anything else as JSON, cut to a bound with a marker
 * that says how much is missing, so no span carries a 2 MB attribute and a reader sees that a
 * value was cut. Pure: the workflow's root span and the activities' spans share it.
 */

/** What one payload attribute may hold (inputs, outputs, messages); the SDK's own limit is above it. */
export const MAX_TRACE_TEXT = 16 * 1024;

export interface TraceText {
  text: string;
  mimeType: 'text/plain' | 'application/json';
}

export function traceText(value: unknown, max = MAX_TRACE_TEXT): TraceText {
  if (typeof value === 'string') return { text: bounded(value, max), mimeType: 'text/plain' };
  return { text: bounded(jsonOf(value), max), mimeType: 'application/json' };
}

/** `text`, or its head and a marker naming how many characters were cut, within `max` in all. */
export function bounded(text: string, max = MAX_TRACE_TEXT): string {
  if (text.length <= max) return text;
  const markerFor = (cut: number) => `…[dxp: cut ${cut} of ${text.length} characters]`;
  // The marker's own length depends on the count it names; the longest count bounds it.
  const room = max - markerFor(text.length).length;
  if (room <= 0) return text.slice(0, max);
  return text.slice(0, room) + markerFor(text.length - room);
}

function jsonOf(value: unknown): string {
  if (value === undefined) return 'null';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
