/**
 * The fallback provider where bubblewrap or namespaces are unavailable: a plain child process in
 * its own process group, with a cleared environment and the work dir as cwd. As root it still runs
 * as a per-sandbox uid (setpriv: no groups, capabilities or new privileges; killed if the worker
 * dies) in memory and pids cgroups when writable; rlimits via prlimit; wall time, output and
 * cancellation from the parent. It sees the host's filesystem and network: record its warning.
 */
import { detectCgroups } from './cgroups';
import { findExecutable, SANDBOX_PATH } from './host-tools';
import {
  LocalSandboxProvider,
  uidDropAndRlimitArgs,
  type LaunchPlan,
  type LaunchRequest,
  type Launcher,
  type LocalHost,
  type LocalProviderOptions,
} from './local-sandbox';
import { mergeLimits, type SandboxLimits } from './types';
import type { SandboxDirs, SandboxOwner } from './workdir';

/** Every weak sandbox carries this warning; callers must put it in the run record and the worker log. */
export const WEAK_ISOLATION_WARNING =
  'WEAK ISOLATION: no filesystem or network isolation. The command runs as a plain host process: it can read ' +
  'world-readable host files, reach the network and the worker\'s local services. Install bubblewrap for real isolation.';

export interface WeakProviderOptions extends LocalProviderOptions {
  /** Why the weak provider is used (e.g. the bubblewrap probe's failure); added to the warnings. */
  reason?: string;
}

export class WeakProvider extends LocalSandboxProvider<LocalHost, WeakProviderOptions> {
  readonly name = 'weak';
  readonly isolation = 'weak' as const;

  static async create(options: WeakProviderOptions = {}): Promise<WeakProvider> {
    const asRoot = process.getuid?.() === 0;
    const host: LocalHost = { setpriv: asRoot ? findExecutable('setpriv') : null, prlimit: findExecutable('prlimit'), asRoot };
    const warnings = [WEAK_ISOLATION_WARNING];
    if (options.reason) warnings.push(options.reason);
    if (!asRoot) warnings.push('not running as root: the command runs as the worker\'s own user and can change whatever the worker can');
    if (asRoot && !host.setpriv) warnings.push('setpriv (util-linux) not found: the command runs as root');
    if (!host.prlimit) warnings.push('prlimit (util-linux) not found: no CPU-time, file-size, memory or process rlimits');
    // Joining a cgroup needs root in the launcher, i.e. setpriv doing the uid drop after it.
    const cgroups = host.setpriv ? await detectCgroups() : null;
    const missing = (name: 'memory' | 'pids') =>
      `no ${name} cgroup (${cgroups?.unavailable[name] ?? (asRoot ? 'setpriv not found' : 'not running as root')})`;
    if (!cgroups?.memory) warnings.push(`${missing('memory')}: memory is limited per process by RLIMIT_AS`);
    if (!cgroups?.pids) warnings.push(`${missing('pids')}: processes that leave the process group (setsid) can outlive the run`);
    mergeLimits(options.limits);
    return new WeakProvider(host, cgroups, options, warnings);
  }

  protected launcher(dirs: SandboxDirs, owner: SandboxOwner | null): Launcher {
    return new WeakLauncher(this.host, dirs, owner);
  }
}

class WeakLauncher implements Launcher {
  constructor(
    private readonly host: LocalHost,
    private readonly dirs: SandboxDirs,
    private readonly owner: SandboxOwner | null,
  ) {}

  cgroupLimits(limits: SandboxLimits) {
    return { memoryBytes: limits.memoryBytes, maxProcesses: limits.maxProcesses };
  }

  plan({ command, limits, env, cwd, cgroup }: LaunchRequest): LaunchPlan {
    // The launcher starts (as root) in the work dir, whose parent is the worker's; a `cwd` inside it
    // is entered after the uid drop, so that a symlink the sandbox put there is followed as the
    // sandbox user, never by root (which could start it in a directory it cannot reach).
    const enter = cwd === '' ? [] : ['/bin/sh', '-c', 'cd -- "$1" || exit 125; shift; exec "$@"', 'dxp-cwd', cwd];
    // No bwrap to die with the worker: setpriv's parent-death signal kills the command instead.
    const argv = [...uidDropAndRlimitArgs(this.host, this.owner, limits, cgroup, ['--pdeathsig=KILL']), ...enter, ...command];
    const home = this.dirs.workDir;
    return {
      argv,
      env: { PATH: SANDBOX_PATH, HOME: home, LANG: 'C.UTF-8', TMPDIR: this.dirs.tmpDir, ...env },
      cwd: home,
    };
  }
}
