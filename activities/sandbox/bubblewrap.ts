/**
 * The local provider: each run is a fresh bubblewrap container.
 *
 * - namespaces: pid, net (unless `network`), ipc, uts, mount, cgroup; the command is killed
 *   when bwrap or the worker dies (`--die-with-parent`), and everything in the pid namespace dies
 *   with it, including double-forked (`setsid`) processes;
 * - filesystem: an empty root with read-only /usr (and the /bin, /lib* links), /etc/alternatives,
 *   ld.so.cache and localtime (plus resolver and CA files with network), a passwd that names only
 *   the sandbox user, fresh /proc and /dev, a private tmpfs /tmp, and the work dir at /work;
 * - environment: `--clearenv`, then PATH, HOME=/work, LANG, TMPDIR and the caller's variables;
 * - identity: as root, no user namespace; `setpriv` drops to a per-sandbox uid/gid with no
 *   groups, capabilities or new privileges (a real uid, so RLIMIT_NPROC counts). Not root: a
 *   user namespace with further user namespaces disabled;
 * - system calls: a seccomp filter (seccomp.ts) refuses new user namespaces (`unshare`/`clone`
 *   with CLONE_NEWUSER, `clone3`, `setns`), as root and not;
 * - arguments: bwrap reads its options (bind paths, the environment) from fd 3 (`--args 3`) and
 *   the filter from fd 4, so that neither `ps` on the host nor /proc/1/cmdline inside shows host
 *   paths or the values of `env`: the command line is `bwrap --args 3 --seccomp 4 -- setpriv …`;
 * - limits: a memory cgroup (else RLIMIT_AS), a pids cgroup (and RLIMIT_NPROC), RLIMIT_CPU,
 *   RLIMIT_FSIZE, no core files; wall time, output and cancellation from the parent.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { detectCgroups } from './cgroups';
import { SandboxError } from './errors';
import { findExecutable, findUnderUsr, SANDBOX_PATH } from './host-tools';
import {
  LocalSandboxProvider,
  uidDropAndRlimitArgs,
  type LaunchPlan,
  type LaunchRequest,
  type Launcher,
  type LocalHost,
  type LocalProviderOptions,
} from './local-sandbox';
import { sandboxSeccompProgram } from './seccomp';
import { mergeLimits, type SandboxLimits } from './types';
import type { SandboxDirs, SandboxOwner } from './workdir';

export interface BubblewrapProviderOptions extends LocalProviderOptions {
  /** Path of bwrap; default: found on PATH. */
  bwrapPath?: string;
  /** More host paths to bind read-only at the same place (e.g. a toolchain outside /usr). */
  readOnlyPaths?: string[];
}

/** Top-level paths that are symlinks into /usr on merged-/usr systems, or directories elsewhere. */
const TOOLCHAIN_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const ETC_ALWAYS = ['/etc/alternatives', '/etc/ld.so.cache', '/etc/localtime'];
const ETC_NETWORK = [
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/host.conf',
  '/etc/nsswitch.conf',
  '/etc/gai.conf',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
];
/** The processes bwrap itself keeps in the run's pids cgroup (the monitor and pid 1). */
const BWRAP_PROCESSES = 2;

/** setpriv and prlimit are found under /usr, so that they are visible inside. */
interface HostSetup extends LocalHost {
  bwrap: string;
  /** The compiled filter for `--seccomp`; null on a CPU seccomp.ts has no table for. */
  seccomp: Buffer | null;
}

export class BubblewrapProvider extends LocalSandboxProvider<HostSetup, BubblewrapProviderOptions> {
  readonly name = 'bubblewrap';
  readonly isolation = 'bubblewrap' as const;

  /**
   * Checks that bubblewrap works here (namespaces allowed, the uid drop possible) by running
   * `true` in a sandbox; throws SANDBOX_UNAVAILABLE with the reason otherwise.
   */
  static async create(options: BubblewrapProviderOptions = {}): Promise<BubblewrapProvider> {
    const bwrap = options.bwrapPath ?? findExecutable('bwrap');
    if (!bwrap) throw new SandboxError('SANDBOX_UNAVAILABLE', 'bwrap is not installed (Debian: apt-get install bubblewrap)');
    const asRoot = process.getuid?.() === 0;
    const setpriv = asRoot ? findUnderUsr('setpriv') : null;
    const prlimit = findUnderUsr('prlimit');
    const host: HostSetup = { bwrap, setpriv, prlimit, asRoot, seccomp: sandboxSeccompProgram() };
    const warnings: string[] = [];
    if (!host.seccomp) warnings.push(`no seccomp filter for ${process.arch}: ${userNamespacesLeft(host)}`);
    if (asRoot && !setpriv) {
      warnings.push('setpriv (util-linux) not found: the command runs as root of a user namespace, not as an unprivileged uid; RLIMIT_NPROC does not apply');
    }
    if (!asRoot) {
      warnings.push('not running as root: the command keeps the worker\'s uid inside a user namespace; RLIMIT_NPROC does not apply');
    }
    if (!prlimit) warnings.push('prlimit (util-linux) not found: no CPU-time, file-size or process rlimits');

    let reason = await probe(host);
    if (reason && host.seccomp && (await probe({ ...host, seccomp: null })) === null) {
      // A kernel without seccomp filters, say: isolation without the filter beats none.
      warnings.push(`bwrap refuses the seccomp filter (${reason}): ${userNamespacesLeft(host)}`);
      host.seccomp = null;
      reason = null;
    }
    if (reason) throw new SandboxError('SANDBOX_UNAVAILABLE', `bubblewrap does not work here: ${reason}`);

    const cgroups = asRoot ? await detectCgroups() : null;
    const missing = (name: 'memory' | 'pids') =>
      `no ${name} cgroup (${cgroups?.unavailable[name] ?? 'not running as root'})`;
    if (!cgroups?.memory) {
      warnings.push(`${missing('memory')}: memory is limited per process by RLIMIT_AS, which counts address space (Node cannot start under it)`);
    }
    if (!cgroups?.pids) {
      warnings.push(
        host.setpriv
          ? `${missing('pids')}: processes are limited by RLIMIT_NPROC of the sandbox uid only; a fork bomb runs until the wall-time limit`
          : `${missing('pids')}: the number of processes is not limited`,
      );
    }
    mergeLimits(options.limits); // fail fast on bad defaults
    return new BubblewrapProvider(host, cgroups, options, warnings);
  }

  protected launcher(dirs: SandboxDirs, owner: SandboxOwner | null): Launcher {
    return new BubblewrapLauncher(this.host, dirs, owner, this.options.readOnlyPaths ?? []);
  }
}

class BubblewrapLauncher implements Launcher {
  constructor(
    private readonly host: HostSetup,
    private readonly dirs: SandboxDirs,
    private readonly owner: SandboxOwner | null,
    private readonly readOnlyPaths: string[],
  ) {}

  cgroupLimits(limits: SandboxLimits) {
    return { memoryBytes: limits.memoryBytes, maxProcesses: limits.maxProcesses + BWRAP_PROCESSES };
  }

  plan({ command, limits, env, cwd, cgroup }: LaunchRequest): LaunchPlan {
    const guestEnv: Record<string, string> = { PATH: SANDBOX_PATH, HOME: '/work', LANG: 'C.UTF-8', TMPDIR: '/tmp', ...env };
    const options = [
      ...namespaceArgs(this.host, limits.network),
      ...filesystemArgs(limits, this.readOnlyPaths),
      '--ro-bind', join(this.dirs.etcDir, 'passwd'), '/etc/passwd',
      '--ro-bind', join(this.dirs.etcDir, 'group'), '/etc/group',
      '--bind', this.dirs.workDir, '/work',
      '--chdir', cwd === '' ? '/work' : `/work/${cwd}`,
      '--clearenv',
      ...Object.entries(guestEnv).flatMap(([name, value]) => ['--setenv', name, value]),
    ];
    // Inside the sandbox: bwrap's --die-with-parent already ends the run with the worker.
    const inner = uidDropAndRlimitArgs(this.host, this.owner, limits, cgroup);
    // Only a root-owned bwrap and a minimal PATH on the host side: nothing of the worker's env.
    return { ...bwrapLaunch(this.host, options, [...inner, ...command]), env: { PATH: SANDBOX_PATH }, cwd: '/' };
  }
}

/** What is left of the user-namespace guarantee without the filter. */
function userNamespacesLeft(host: HostSetup): string {
  return host.asRoot && host.setpriv ? 'sandboxed code can create user namespaces' : 'user namespaces are refused by bwrap\'s --disable-userns only';
}

/**
 * bwrap with its options on fd 3 (NUL-separated, `--args`) and the seccomp filter on fd 4: only
 * `bwrap --args 3 [--seccomp 4] --` and the command are on a command line, where `ps` on the host
 * and /proc/1/cmdline inside show them.
 */
function bwrapLaunch(host: HostSetup, options: string[], command: string[]): { argv: string[]; extraStdio: Buffer[] } {
  if (options.some((o) => o.includes('\0'))) throw new SandboxError('SANDBOX_INVALID_OPTIONS', 'a bwrap argument contains a NUL byte');
  const args = Buffer.from(options.map((o) => `${o}\0`).join(''), 'utf8');
  return host.seccomp
    ? { argv: [host.bwrap, '--args', '3', '--seccomp', '4', '--', ...command], extraStdio: [args, host.seccomp] }
    : { argv: [host.bwrap, '--args', '3', '--', ...command], extraStdio: [args] };
}

function namespaceArgs(host: HostSetup, network: boolean): string[] {
  const common = ['--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try', '--hostname', 'sandbox'];
  const net = network ? [] : ['--unshare-net'];
  // As root with setpriv: no user namespace, so that the uid drop is a real one on the host.
  const user = host.asRoot && host.setpriv ? [] : ['--unshare-user', '--disable-userns'];
  return [...user, ...common, ...net, '--die-with-parent', '--new-session'];
}

function filesystemArgs(limits: SandboxLimits, readOnlyPaths: string[]): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const path of TOOLCHAIN_LINKS) {
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else if (stat.isDirectory()) args.push('--ro-bind', path, path);
  }
  args.push('--perms', '0755', '--dir', '/etc');
  for (const path of [...ETC_ALWAYS, ...(limits.network ? ETC_NETWORK : [])]) args.push('--ro-bind-try', path, path);
  for (const path of readOnlyPaths) {
    if (!existsSync(path)) throw new SandboxError('SANDBOX_INVALID_OPTIONS', `readOnlyPaths: ${path} does not exist`);
    args.push('--ro-bind', path, path);
  }
  args.push('--proc', '/proc', '--dev', '/dev');
  args.push('--perms', '1777', '--size', String(Math.floor(limits.memoryBytes)), '--tmpfs', '/tmp');
  return args;
}

/** Runs `true` in a minimal sandbox, launched as runs are (options and filter on fds); returns why it failed, or null. */
async function probe(host: HostSetup): Promise<string | null> {
  const inner = host.setpriv ? [host.setpriv, '--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/true'] : ['/usr/bin/true'];
  const limits = mergeLimits({ memoryBytes: 1024 * 1024 });
  const { argv, extraStdio } = bwrapLaunch(host, [...namespaceArgs(host, false), ...filesystemArgs(limits, []), '--clearenv'], inner);
  return new Promise((resolve) => {
    const [file, ...args] = argv as [string, ...string[]];
    const child = spawn(file, args, { env: { PATH: SANDBOX_PATH }, stdio: ['ignore', 'ignore', 'pipe', ...extraStdio.map(() => 'pipe' as const)] });
    extraStdio.forEach((data, i) => {
      const fd = child.stdio[3 + i] as Writable;
      fd.on('error', () => undefined);
      fd.end(data);
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve(err.message);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? null : `${stderr.trim() || 'no message'} (exit ${code ?? signal})`);
    });
  });
}
