/**
 * What the bubblewrap and weak sandboxes share: the private directory, file access, a cgroup per
 * run, cancellation of every run on teardown, and the provider scaffolding (options, provision,
 * the uid drop and rlimits). A provider supplies its checks, its warnings and how a command is launched.
 */
import { randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { RunCgroup, runCgroupName, type CgroupSupport, type RunCgroupLimits } from './cgroups';
import { runContained } from './contained-process';
import { SandboxError } from './errors';
import { NPROC_SLACK, prlimitArgs } from './host-tools';
import { getFile, putFiles, type TransferRunner } from './transfer';
import { createSandboxDirs, removeSandboxDirs, workRelativePath, type SandboxDirs, type SandboxOwner } from './workdir';
import {
  mergeLimits,
  type ProvisionOptions,
  type RunOptions,
  type RunResult,
  type Sandbox,
  type SandboxIsolation,
  type SandboxLimits,
  type SandboxProvider,
} from './types';

/** Sandbox uids are drawn from here, one per sandbox, so that RLIMIT_NPROC and file ownership are per sandbox. */
export const SANDBOX_UID_RANGE = { first: 1_700_000_000, count: 100_000_000 } as const;

export function freshSandboxUid(): number {
  return SANDBOX_UID_RANGE.first + randomInt(SANDBOX_UID_RANGE.count);
}

export interface LaunchPlan {
  argv: string[];
  env: Record<string, string>;
  /** Host directory the launcher starts in. */
  cwd: string;
  /** Data the launcher reads from fds 3, 4, ... (bwrap: its arguments, its seccomp filter), off its command line. */
  extraStdio?: Buffer[];
}

export interface LaunchRequest {
  command: string[];
  limits: SandboxLimits;
  /** The caller's variables, already checked. */
  env: Record<string, string>;
  /** The run's directory relative to the work dir ('' for the work dir itself). */
  cwd: string;
  cgroup: RunCgroup | null;
}

export interface Launcher {
  plan(request: LaunchRequest): LaunchPlan;
  /** What the run's cgroups limit (the launcher knows its own overhead of processes). */
  cgroupLimits(limits: SandboxLimits): RunCgroupLimits;
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

export interface LocalSandboxInit {
  dirs: SandboxDirs;
  owner: SandboxOwner | null;
  isolation: SandboxIsolation;
  warnings: string[];
  limits: SandboxLimits;
  cgroups: CgroupSupport | null;
  launcher: Launcher;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class LocalSandbox implements Sandbox {
  readonly id: string;
  readonly workDir: string;
  readonly isolation: SandboxIsolation;
  readonly warnings: string[];
  readonly limits: Readonly<SandboxLimits>;

  private readonly dirs: SandboxDirs;
  private readonly owner: SandboxOwner | null;
  private readonly cgroups: CgroupSupport | null;
  private readonly launcher: Launcher;
  private readonly teardownController = new AbortController();
  private readonly active = new Set<Promise<unknown>>();
  private runs = 0;
  private tornDown: Promise<void> | undefined;

  constructor(init: LocalSandboxInit) {
    this.dirs = init.dirs;
    this.id = init.dirs.id;
    this.workDir = init.dirs.workDir;
    this.isolation = init.isolation;
    this.warnings = [...init.warnings];
    this.limits = Object.freeze({ ...init.limits });
    this.owner = init.owner;
    this.cgroups = init.cgroups;
    this.launcher = init.launcher;
  }

  run(command: string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.track(this.runInner(command, opts));
  }

  private async runInner(command: string[], opts: RunOptions): Promise<RunResult> {
    this.assertLive();
    if (!Array.isArray(command) || command.length === 0 || command.some((a) => typeof a !== 'string' || a.includes('\0'))) {
      throw new SandboxError('SANDBOX_INVALID_OPTIONS', 'command must be a non-empty array of strings (argv, no shell)');
    }
    const limits = mergeLimits(this.limits, opts.limits);
    const env = checkEnv(opts.env ?? {});
    const files = Object.entries(opts.files ?? {}).map(([path, content]) => [fileTarget(path), asBuffer(content)] as const);
    const cwdRel = opts.cwd === undefined || opts.cwd === '' ? '' : workRelativePath(opts.cwd);
    // The files and the cwd in one transfer, made inside the sandbox (transfer.ts).
    await putFiles(this.transfer, this.limits, files, cwdRel);

    const signal = opts.signal
      ? AbortSignal.any([opts.signal, this.teardownController.signal])
      : this.teardownController.signal;
    const cgroup = this.cgroups
      ? await RunCgroup.create(this.cgroups, runCgroupName(this.id, ++this.runs), this.launcher.cgroupLimits(limits))
      : null;
    try {
      const plan = this.launcher.plan({ command, limits, env, cwd: cwdRel, cgroup });
      return await runContained({ ...plan, ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}), limits, signal, cgroup });
    } finally {
      await cgroup?.remove();
    }
  }

  /** Written by the sandbox itself (transfer.ts): the host never opens a path in the work dir. */
  async writeFile(path: string, content: string | Buffer): Promise<void> {
    this.assertLive();
    await this.track(putFiles(this.transfer, this.limits, [[fileTarget(path), asBuffer(content)]]));
  }

  /** Read by the sandbox itself, at most `limits.maxFileBytes` (transfer.ts). */
  readFile(path: string): Promise<Buffer>;
  readFile(path: string, encoding: BufferEncoding): Promise<string>;
  async readFile(path: string, encoding?: BufferEncoding): Promise<Buffer | string> {
    this.assertLive();
    const data = await this.track(getFile(this.transfer, this.limits, workRelativePath(path) || '.'));
    return encoding ? data.toString(encoding) : data;
  }

  /**
   * Runs a transfer's program with the sandbox's launcher: the sandbox uid, its mounts (bubblewrap)
   * or its cwd (weak), the work dir as cwd, no cgroup (its own short limits), killed by teardown.
   */
  private readonly transfer: TransferRunner = (command, { stdin, limits, stdoutBytesCap }) => {
    const plan = this.launcher.plan({ command, limits, env: {}, cwd: '', cgroup: null });
    return runContained({
      ...plan,
      ...(stdin !== undefined ? { stdin } : {}),
      ...(stdoutBytesCap !== undefined ? { stdoutBytesCap } : {}),
      limits,
      signal: this.teardownController.signal,
      cgroup: null,
    });
  };

  teardown(): Promise<void> {
    this.tornDown ??= (async () => {
      this.teardownController.abort();
      await Promise.allSettled([...this.active]);
      await removeSandboxDirs(this.dirs);
    })();
    return this.tornDown;
  }

  private assertLive(): void {
    if (this.tornDown) throw new SandboxError('SANDBOX_TORN_DOWN', `sandbox ${this.id} has been torn down`);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.active.add(promise);
    void promise.then(
      () => this.active.delete(promise),
      () => this.active.delete(promise),
    );
    return promise;
  }
}

/** The normalised path of a file to write; the work dir itself is refused. */
function fileTarget(path: string): string {
  const rel = workRelativePath(path);
  if (rel === '') throw new SandboxError('SANDBOX_PATH_ESCAPE', 'cannot write to the work dir itself');
  return rel;
}

function asBuffer(content: string | Uint8Array): Buffer {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  if (content instanceof Uint8Array) return Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  throw new SandboxError('SANDBOX_INVALID_OPTIONS', 'file content must be a string or a Buffer');
}

function checkEnv(env: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name) || typeof value !== 'string' || value.includes('\0')) {
      throw new SandboxError('SANDBOX_INVALID_OPTIONS', `invalid environment variable ${JSON.stringify(name)}`);
    }
  }
  return { ...env };
}
