/**
 * One local sandbox (bubblewrap or weak), as a provider provisions it: runs a command in it with
 * a cgroup per run, writes and reads its files through the sandbox itself (transfer.ts), checks
 * the caller's arguments (argv, env names, paths inside the work dir), and on teardown cancels
 * every run still going and removes its private directory.
 */
import { RunCgroup, runCgroupName, type CgroupSupport } from './cgroups';
import { runContained } from './contained-process';
import { SandboxError } from './errors';
import type { Launcher } from './launcher';
import { getFile, putFiles, type TransferRunner } from './transfer';
import { removeSandboxDirs, workRelativePath, type SandboxDirs, type SandboxOwner } from './workdir';
import { mergeLimits, type RunOptions, type RunResult, type Sandbox, type SandboxIsolation, type SandboxLimits } from './types';

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
