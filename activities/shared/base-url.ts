/** Base URLs of HTTP services from configuration (Arize, model providers). */

/** The URL without a trailing slash, or undefined when it is not a plain http(s) base URL (no query, fragment or credentials). */
export function parseBaseUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash || url.username || url.password) {
    return undefined;
  }
  return url.href.replace(/\/+$/, '');
}
