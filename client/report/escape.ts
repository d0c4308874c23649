/** Text from data (example ids, names, errors) made safe for HTML text and attribute values. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** An href only for http(s) URLs (a `javascript:` one from a setting renders as no link). */
export function safeHref(url: string | undefined): string | undefined {
  return url !== undefined && /^https?:\/\//i.test(url) ? escapeHtml(url) : undefined;
}
