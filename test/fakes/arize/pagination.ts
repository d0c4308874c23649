/**
 * Keyset pagination: the cursor holds the sort key of the last item served, so inserts between
 * page reads never make a page skip or repeat an item.
 */
import type { components } from '@arizeai/ax-client/dist/src/__generated__/api/v2';
import { HttpProblem } from './problem';

type SortKey = Array<string | number>;

/** One page of `items` (sorted by `key`, ascending or descending) after `cursor`. */
export function paginate<T>(
  items: readonly T[],
  { key, order, cursor, limit }: { key: (item: T) => SortKey; order: 'asc' | 'desc'; cursor: string | undefined; limit: number },
): { page: T[]; pagination: components['schemas']['PaginationMetadata'] } {
  const sign = order === 'asc' ? 1 : -1;
  const sorted = [...items].sort((a, b) => sign * compareKeys(key(a), key(b)));
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  const rest = after === undefined ? sorted : sorted.filter((item) => sign * compareKeys(key(item), after) > 0);
  const page = rest.slice(0, limit);
  const last = page[page.length - 1];
  const hasMore = rest.length > page.length && last !== undefined;
  return {
    page,
    pagination: hasMore ? { has_more: true, next_cursor: encodeCursor(key(last)) } : { has_more: false },
  };
}

function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): SortKey {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.every((k) => typeof k === 'string' || typeof k === 'number')) return key;
  } catch {
    // fall through
  }
  throw new HttpProblem(400, 'Invalid request parameters', 'cursor is not a cursor this endpoint returned');
}
