/** The worker's Phoenix client: configured by PHOENIX_BASE_URL (see activities/phoenix/config.ts), made on first use. */
import { createPhoenixClient, phoenixConfigFromEnv, type PhoenixHttpClient } from '../activities/phoenix';
import type { PhoenixClient } from '../activities/phoenix/types';

/** Undefined when no Phoenix is named; a bad PHOENIX_* value fails the worker at start. */
export function lazyPhoenixClient(env: NodeJS.ProcessEnv): { get: () => PhoenixClient; close: () => Promise<void> } | undefined {
  const config = phoenixConfigFromEnv(env);
  if (!config) return undefined;
  let client: PhoenixHttpClient | undefined;
  return {
    get: () => (client ??= createPhoenixClient(config)),
    close: async () => client?.close(),
  };
}
