/**
 * A worker's sandbox provider, chosen by DXP_SANDBOX (or given by its task module) and made on
 * first use: probing bubblewrap costs a process start, and most workers never need a sandbox.
 * Each worker has its own (createWorker) and passes it to its activities.
 */
import { SandboxError } from './errors';
import { createSandboxProvider } from './index';
import type { SandboxProvider } from './types';

export type SandboxMode = 'auto' | 'bubblewrap' | 'weak';
const MODES: readonly SandboxMode[] = ['auto', 'bubblewrap', 'weak'];

/** `auto` (default): bubblewrap, else the weak fallback; `bubblewrap`: isolation or fail; `weak`: never isolate. */
export function sandboxModeFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxMode {
  const raw = (env.DXP_SANDBOX ?? '').trim().toLowerCase();
  if (raw === '') return 'auto';
  if ((MODES as readonly string[]).includes(raw)) return raw as SandboxMode;
  throw new SandboxError('SANDBOX_INVALID_OPTIONS', `DXP_SANDBOX must be one of ${MODES.join(', ')}; got ${JSON.stringify(env.DXP_SANDBOX)}`);
}

/** Where a worker's sandboxes come from: one provider, made on first use. */
export type SandboxSource = () => Promise<SandboxProvider>;

/**
 * DXP_SANDBOX's provider, read on every call (so a changed variable takes effect) and cached per
 * mode; a failed probe is not cached, so the next step tries again (and fails with the same reason).
 */
export function sandboxSourceFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxSource {
  const providers = new Map<SandboxMode, Promise<SandboxProvider>>();
  return () => {
    const mode = sandboxModeFromEnv(env);
    let provider = providers.get(mode);
    if (!provider) {
      provider = mode === 'weak' ? createSandboxProvider({ prefer: 'weak' }) : createSandboxProvider({ requireIsolation: mode === 'bubblewrap' });
      provider.catch(() => providers.delete(mode));
      providers.set(mode, provider);
    }
    return provider;
  };
}

/** A module's own provider (a Docker engine, a remote service), made once on first use; a failure is not cached. */
export function sandboxSourceOf(make: () => SandboxProvider | Promise<SandboxProvider>): SandboxSource {
  let made: Promise<SandboxProvider> | undefined;
  return () => {
    if (!made) {
      const attempt = Promise.resolve().then(make);
      attempt.catch(() => {
        if (made === attempt) made = undefined;
      });
      made = attempt;
    }
    return made;
  };
}

/** What the deprecated process-wide functions below hand out: one source per environment, so a probe is made once. */
const sourcesByEnv = new WeakMap<NodeJS.ProcessEnv, SandboxSource>();
let custom: SandboxSource | undefined;

/**
 * @deprecated Give the task module a `sandboxProvider` (it is that worker's, not the process's);
 * this sets only what {@link workerSandboxProvider} returns. Removed in 0.3.
 */
export function useSandboxProvider(make: (() => SandboxProvider | Promise<SandboxProvider>) | undefined): void {
  custom = make ? sandboxSourceOf(make) : undefined;
}

/**
 * @deprecated In a step, tool or evaluator use `ctx.sandbox()`: a sandbox of the worker that runs
 * it, torn down when the activity ends. This is the process's provider (DXP_SANDBOX of
 * `process.env`, or {@link useSandboxProvider}'s); removed in 0.3.
 */
export function workerSandboxProvider(env?: NodeJS.ProcessEnv): Promise<SandboxProvider> {
  if (custom) return custom();
  const of = env ?? process.env;
  let source = sourcesByEnv.get(of);
  if (!source) {
    source = sandboxSourceFromEnv(of);
    sourcesByEnv.set(of, source);
  }
  return source();
}
