/**
 * Exact-name lookup on top of list endpoints whose `name` filter is a case-insensitive substring
 * match: every page is scanned and only case-sensitive exact matches are kept.
 */
import { ARIZE_ERROR_CODES, ArizeApiError } from './errors';
import { invalidResponse } from './http';
import type { Page } from './types';

/** Pages through `listPage` from the first page; returns the items named exactly `name`, in API order. */
export async function collectExactMatches<T extends { name: string }>(
  endpoint: string,
  name: string,
  listPage: (cursor: string | null) => Promise<Page<T>>,
): Promise<T[]> {
  const matches: T[] = [];
  const seen = new Set<string>();
  let cursor: string | null = null;
  do {
    const page: Page<T> = await listPage(cursor);
    matches.push(...page.items.filter((item) => item.name === name));
    cursor = page.nextCursor;
    if (cursor !== null) {
      if (seen.has(cursor)) throw invalidResponse(endpoint, 200, `pagination returned cursor "${cursor}" twice`);
      seen.add(cursor);
    }
  } while (cursor !== null);
  return matches;
}

/** The single match, or a non-retryable error: 404-like when none, `name_ambiguous` when several. */
export function onlyMatch<T extends { id: string }>(matches: T[], what: string, name: string, endpoint: string): T {
  const [first, ...rest] = matches;
  if (first === undefined) {
    throw new ArizeApiError({
      status: 404,
      title: 'Not Found',
      detail: `no ${what} named "${name}"`,
      errorCode: ARIZE_ERROR_CODES.nameNotFound,
      endpoint,
      retryable: false,
    });
  }
  if (rest.length > 0) {
    throw new ArizeApiError({
      status: 409,
      title: 'Ambiguous name',
      detail: `${matches.length} ${what}s are named "${name}" (ids ${matches.map((m) => m.id).join(', ')}); give the id instead`,
      errorCode: ARIZE_ERROR_CODES.nameAmbiguous,
      endpoint,
      retryable: false,
    });
  }
  return first;
}
