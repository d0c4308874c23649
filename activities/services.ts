/**
 * What activities and the user code they run reach outside the worker through. Each worker makes
 * its own (workers/create-worker.ts) and passes them in; no activity reaches for a process-wide one.
 */
import type { ModelClient } from './model/client';
import { defaultModelClient } from './model/default-client';
import { workerSandboxProvider, type SandboxSource } from './sandbox/from-env';

export interface ActivityServices {
  /** The worker's model client (OPENAI_BASE_URL, OPENAI_API_KEY, DXP_MODEL), made on first use. */
  model: () => ModelClient;
  /** The worker's sandbox provider (its task module's, else DXP_SANDBOX's), made on first use. */
  sandboxes: SandboxSource;
}

/**
 * The process-wide services, for activities built without a worker (a test calling
 * createTaskActivities(registry) alone): what the deprecated defaultModelClient() and
 * workerSandboxProvider() hand out.
 */
export function processServices(): ActivityServices {
  return { model: defaultModelClient, sandboxes: () => workerSandboxProvider() };
}
