/**
 * Phoenix settings from the worker's environment, read once at start-up, with the names Phoenix's
 * own clients use. The API key stays in the worker process: never in workflow inputs, logs or errors.
 */
import { parseBaseUrl } from '../shared/base-url';

export interface PhoenixConfig {
  /** The server's REST root, e.g. `http://localhost:6006` (a path prefix is kept). */
  baseUrl: string;
  /** Sent as a bearer token when set (a Phoenix with authentication on). */
  apiKey?: string;
}

/** A malformed Phoenix setting; the message names the variable, never the key. */
export class PhoenixConfigError extends Error {
  override readonly name = 'PhoenixConfigError';
}

/**
 * `PHOENIX_BASE_URL`, else `PHOENIX_HOST` when it is a URL (Phoenix's clients read it so; on a
 * Phoenix server it is the bind address, which has no scheme and is not taken); `PHOENIX_API_KEY`.
 * Undefined when neither names a server: Phoenix datasets are then refused with why.
 */
export function phoenixConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): PhoenixConfig | undefined {
  const explicit = env.PHOENIX_BASE_URL?.trim();
  const host = env.PHOENIX_HOST?.trim();
  const raw = explicit || (host && /^https?:\/\//i.test(host) ? host : undefined);
  if (!raw) return undefined;
  const baseUrl = parseBaseUrl(raw);
  const variable = explicit ? 'PHOENIX_BASE_URL' : 'PHOENIX_HOST';
  if (baseUrl === undefined) throw new PhoenixConfigError(`Phoenix configuration: ${variable} must be an http(s) URL without query or fragment, got "${raw}"`);
  const apiKey = env.PHOENIX_API_KEY?.trim();
  return apiKey ? { baseUrl, apiKey } : { baseUrl };
}
