/**
 * The worker's sandbox provider, chosen by DXP_SANDBOX and made on first use (probing bubblewrap
 * costs a process start, and most workers never need a sandbox). One per process and mode.
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

const providers = new Map<SandboxMode, Promise<SandboxProvider>>();
let custom: { make: () => SandboxProvider | Promise<SandboxProvider>; made?: Promise<SandboxProvider> } | undefined;

/** Makes `make` (a Docker or remote provider, say) the provider of this process, over DXP_SANDBOX; `undefined` undoes it. */
export function useSandboxProvider(make: (() => SandboxProvider | Promise<SandboxProvider>) | undefined): void {
  custom = make ? { make } : undefined;
}

/** The provider of this process: a custom one if set, else DXP_SANDBOX's (read on every call, cached per mode). */
export function workerSandboxProvider(env: NodeJS.ProcessEnv = process.env): Promise<SandboxProvider> {
  if (custom) {
    const entry = custom;
    if (!entry.made) {
      entry.made = Promise.resolve().then(entry.make);
      entry.made.catch(() => (entry.made = undefined));
    }
    return entry.made;
  }
  const mode = sandboxModeFromEnv(env);
  let provider = providers.get(mode);
  if (!provider) {
    provider =
      mode === 'weak'
        ? createSandboxProvider({ prefer: 'weak' })
        : createSandboxProvider({ requireIsolation: mode === 'bubblewrap' });
    // A failed probe is not cached: the next step tries again (and fails with the same clear reason).
    provider.catch(() => providers.delete(mode));
    providers.set(mode, provider);
  }
  return provider;
}
