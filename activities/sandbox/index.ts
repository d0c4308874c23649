/**
 * Sandboxes for untrusted, agent-generated code run from task steps.
 *
 * ```ts
 * const provider = await createSandboxProvider({ logger: log });
 * const result = await withSandbox(provider, (sandbox) =>
 *   sandbox.run(['python3', 'main.py'], { files: { 'main.py': code }, signal: ctx.signal }),
 * );
 * ```
 */
import { BubblewrapProvider, type BubblewrapProviderOptions } from './bubblewrap';
import { SandboxError } from './errors';
import type { ProvisionOptions, Sandbox, SandboxLimits, SandboxProvider } from './types';
import { WeakProvider, type WeakProviderOptions } from './weak';

export * from './types';
export { SandboxError, type SandboxErrorCode } from './errors';
export { BubblewrapProvider, type BubblewrapProviderOptions } from './bubblewrap';
export { WeakProvider, WEAK_ISOLATION_WARNING, type WeakProviderOptions } from './weak';
export { SANDBOX_UID_RANGE } from './local-sandbox';

/** Where provider warnings go once, at creation; Temporal's `log` (activity or worker `Runtime.logger`) fits. */
export interface SandboxLogger {
  warn(message: string, meta?: Record<string, unknown>): void;
}

export interface CreateSandboxProviderOptions {
  /** `weak` skips bubblewrap; `bubblewrap` (the default) falls back to weak when it does not work here. */
  prefer?: 'bubblewrap' | 'weak';
  /** Fail with SANDBOX_UNAVAILABLE instead of falling back to weak isolation. */
  requireIsolation?: boolean;
  /** Default limits of every sandbox. */
  limits?: Partial<SandboxLimits>;
  bubblewrap?: Omit<BubblewrapProviderOptions, 'limits'>;
  weak?: Omit<WeakProviderOptions, 'limits' | 'reason'>;
  logger?: SandboxLogger;
}

const probes = new Map<string, Promise<BubblewrapProvider | SandboxError>>();

/**
 * The best provider this machine supports, probed once per process (and per option set): bubblewrap
 * when `bwrap --unshare-... true` succeeds, else the weak provider, whose `warnings` say why.
 */
export async function createSandboxProvider(opts: CreateSandboxProviderOptions = {}): Promise<SandboxProvider> {
  let reason: string | undefined;
  if (opts.prefer !== 'weak') {
    const key = JSON.stringify([opts.bubblewrap ?? {}, opts.limits ?? {}]);
    let probe = probes.get(key);
    if (!probe) {
      probe = BubblewrapProvider.create({ ...opts.bubblewrap, ...(opts.limits ? { limits: opts.limits } : {}) }).catch(
        (err: unknown) =>
          err instanceof SandboxError ? err : new SandboxError('SANDBOX_UNAVAILABLE', String(err), { cause: err }),
      );
      probes.set(key, probe);
    }
    const provider = await probe;
    if (!(provider instanceof SandboxError)) {
      report(opts.logger, provider);
      return provider;
    }
    if (opts.requireIsolation) throw provider;
    reason = `falling back to weak isolation: ${provider.message}`;
  } else if (opts.requireIsolation) {
    throw new SandboxError('SANDBOX_UNAVAILABLE', 'prefer: weak contradicts requireIsolation');
  }
  const weak = await WeakProvider.create({
    ...opts.weak,
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(reason ? { reason } : {}),
  });
  report(opts.logger, weak);
  return weak;
}

function report(logger: SandboxLogger | undefined, provider: SandboxProvider): void {
  for (const warning of provider.warnings) logger?.warn(`sandbox: ${warning}`, { provider: provider.name });
}

/** Provisions a sandbox, runs `fn` with it and always tears it down, also when `fn` throws. */
export async function withSandbox<T>(
  provider: SandboxProvider,
  fn: (sandbox: Sandbox) => Promise<T> | T,
  opts?: ProvisionOptions,
): Promise<T> {
  const sandbox = await provider.provision(opts);
  try {
    return await fn(sandbox);
  } finally {
    await sandbox.teardown();
  }
}
