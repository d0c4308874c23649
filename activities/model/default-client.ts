/**
 * The worker's one model client, made from its environment on first use, so that a worker
 * without `OPENAI_API_KEY` still starts (and only model calls fail, naming the variable).
 */
import { createModelClient, type ModelClient } from './client';
import { modelConfigFromEnv } from './config';

let shared: ModelClient | undefined;

/** The process-wide client from `modelConfigFromEnv(process.env)`, created on the first call (a failed read is not cached). */
export function defaultModelClient(): ModelClient {
  shared ??= createModelClient(modelConfigFromEnv(process.env));
  return shared;
}

/** Closes the process-wide client, if made; the next {@link defaultModelClient} call reads the environment again. */
export async function closeDefaultModelClient(): Promise<void> {
  const client = shared;
  shared = undefined;
  await client?.close();
}
