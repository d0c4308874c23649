/**
 * What the bubblewrap and weak sandboxes share: the provider scaffolding (options, provision,
 * the uid drop and rlimits). A provider supplies its checks, its warnings and how a command is
 * launched (launcher.ts); the sandbox it provisions, with its private directory, file access, a
 * cgroup per run and cancellation of every run on teardown, is in local-sandbox-instance.ts.
 */
import { randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { CgroupSupport, RunCgroup } from './cgroups';
import { NPROC_SLACK, prlimitArgs } from './host-tools';
import type { Launcher } from './launcher';
import { LocalSandbox } from './local-sandbox-instance';
import { createSandboxDirs, type SandboxDirs, type SandboxOwner } from './workdir';
import { mergeLimits, type ProvisionOptions, type Sandbox, type SandboxIsolation, type SandboxLimits, type SandboxProvider } from './types';

export type { LaunchPlan, LaunchRequest, Launcher } from './launcher';
export { LocalSandbox, type LocalSandboxInit } from './local-sandbox-instance';

/** Sandbox uids are drawn from here, one per sandbox, so that RLIMIT_NPROC and file ownership are per sandbox. */
export const SANDBOX_UID_RANGE = { first: 1_700_000_000, count: 100_000_000 } as const;

export function freshSandboxUid(): number {
  return SANDBOX_UID_RANGE.first + randomInt(SANDBOX_UID_RANGE.count);
}

/** Options every local provider takes. */
export interface LocalProviderOptions {
  /** Where sandbox directories are created; default: the OS temp dir. */
  rootDir?: string;
  /**
   * One uid for every sandbox (e.g. 65534); default: a fresh uid per sandbox from SANDBOX_UID_RANGE.
   * Used only where setpriv drops to it (as root).
   */
  uid?: number;
  /** Defaults of this provider's sandboxes. */
  limits?: Partial<SandboxLimits>;
}

/** The host tools a local provider found at creation. */
export interface LocalHost {
  /** Drops to the sandbox uid; only looked for as root. */
  setpriv: string | null;
  prlimit: string | null;
  asRoot: boolean;
}

/**
 * A provider of {@link LocalSandbox}es. A subclass's static `create` checks the host and collects
 * the warnings; `launcher` says how its runs start.
 */
export abstract class LocalSandboxProvider<Host extends LocalHost, Options extends LocalProviderOptions>
  implements SandboxProvider
{
  abstract readonly name: string;
  abstract readonly isolation: SandboxIsolation;

  protected constructor(
    protected readonly host: Host,
    protected readonly cgroups: CgroupSupport | null,
    protected readonly options: Options,
    readonly warnings: string[],
  ) {}

  async provision(opts: ProvisionOptions = {}): Promise<Sandbox> {
    const limits = mergeLimits(this.options.limits, opts.limits, opts.network === undefined ? undefined : { network: opts.network });
    const uid = this.options.uid ?? freshSandboxUid();
    // Without setpriv there is no uid to drop to: files stay the worker's.
    const owner: SandboxOwner | null = this.host.setpriv ? { uid, gid: uid } : null;
    const dirs = await createSandboxDirs(this.options.rootDir ?? tmpdir(), owner);
    return new LocalSandbox({
      dirs,
      owner,
      isolation: this.isolation,
      warnings: this.warnings,
      limits,
      cgroups: this.cgroups,
      launcher: this.launcher(dirs, owner),
    });
  }

  protected abstract launcher(dirs: SandboxDirs, owner: SandboxOwner | null): Launcher;
}

/**
 * What goes before a run's command, where the tools exist: setpriv down to the sandbox uid (no
 * groups, capabilities or new privileges; `setprivExtra` appended), then prlimit.
 */
export function uidDropAndRlimitArgs(
  host: LocalHost,
  owner: SandboxOwner | null,
  limits: SandboxLimits,
  cgroup: RunCgroup | null,
  setprivExtra: readonly string[] = [],
): string[] {
  const argv: string[] = [];
  if (host.setpriv && owner) {
    argv.push(
      host.setpriv,
      `--reuid=${owner.uid}`,
      `--regid=${owner.gid}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      ...setprivExtra,
    );
  }
  if (host.prlimit) {
    argv.push(
      host.prlimit,
      ...prlimitArgs(limits, {
        // RLIMIT_NPROC counts per uid, so only after a real uid drop. Above the cgroup's limit when
        // there is one, so the cgroup refuses first and its counter shows a fork bomb.
        ...(host.setpriv && owner ? { nproc: limits.maxProcesses + (cgroup?.hasPids ? NPROC_SLACK : 0) } : {}),
        addressSpace: !(cgroup?.hasMemory ?? false),
      }),
      '--',
    );
  }
  return argv;
}
