/**
 * Arize settings from the worker's environment, read once at start-up. The API key stays in the
 * worker process: it is never put in workflow inputs, logs or error messages.
 */
import { parseBaseUrl } from '../shared/base-url';

/** Where Arize AX lives unless `ARIZE_BASE_URL` says otherwise. */
export const DEFAULT_ARIZE_BASE_URL = 'https://api.arize.com';

/** What {@link arizeConfigFromEnv} returns. */
export interface ArizeConfig {
  baseUrl: string;
  apiKey: string;
  /** Default space (name or id) for dataset names given without one. */
  space?: string;
}

/** A missing or malformed Arize setting; the message names every variable at fault, never a value of the key. */
export class ArizeConfigError extends Error {
  override readonly name = 'ArizeConfigError';
}

/** Reads `ARIZE_BASE_URL` (default {@link DEFAULT_ARIZE_BASE_URL}), `ARIZE_API_KEY` (required) and `ARIZE_SPACE`. */
export function arizeConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ArizeConfig {
  const problems: string[] = [];
  const apiKey = env.ARIZE_API_KEY?.trim() ?? '';
  if (apiKey === '') problems.push('ARIZE_API_KEY is required (an Arize AX API key)');
  const rawUrl = env.ARIZE_BASE_URL?.trim() || DEFAULT_ARIZE_BASE_URL;
  const baseUrl = parseBaseUrl(rawUrl);
  if (baseUrl === undefined) problems.push(`ARIZE_BASE_URL must be an http(s) URL without query or fragment, got "${rawUrl}"`);
  if (problems.length > 0 || baseUrl === undefined) throw new ArizeConfigError(`Arize configuration: ${problems.join('; ')}`);
  const space = env.ARIZE_SPACE?.trim();
  return space ? { baseUrl, apiKey, space } : { baseUrl, apiKey };
}

