/**
 * A worker's model client, made from its environment on first use, so that a worker without
 * `OPENAI_API_KEY` still starts (and only model calls fail, naming the variable). Each worker
 * makes its own (createWorker) and passes it to its activities; nothing here is shared state but
 * the deprecated process-wide client.
 */
import { createModelClient, type ModelClient } from './client';
import { modelConfigFromEnv } from './config';

export interface LazyModelClient {
  /** The client from `modelConfigFromEnv(env)`, created on the first call (a failed read is not cached). */
  get(): ModelClient;
  /** Closes the client, if made; the next `get()` reads the environment again. */
  close(): Promise<void>;
}

export function lazyModelClient(env: NodeJS.ProcessEnv = process.env): LazyModelClient {
  let client: ModelClient | undefined;
  return {
    get: () => (client ??= createModelClient(modelConfigFromEnv(env))),
    async close() {
      const made = client;
      client = undefined;
      await made?.close();
    },
  };
}

/** The one that {@link defaultModelClient} hands out, for code outside an activity's context. */
const processClient = lazyModelClient();

/**
 * @deprecated In a step, tool or evaluator use `ctx.model()`: the client of the worker that runs
 * it. This process-wide client reads `process.env` and is removed in 0.3.
 */
export function defaultModelClient(): ModelClient {
  return processClient.get();
}

/** @deprecated With {@link defaultModelClient}; removed in 0.3. */
export function closeDefaultModelClient(): Promise<void> {
  return processClient.close();
}
