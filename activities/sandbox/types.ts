/**
 * The sandbox contract: a place to run untrusted, agent-generated code from a task step.
 * `bubblewrap.ts` (namespaces, a uid drop, cgroups and rlimits) and `weak.ts` (a plain child
 * process) implement it; a Docker or remote provider can implement the same interfaces.
 */
import { SandboxError } from './errors';

/** Resource limits of one run. Every field has a default in `DEFAULT_SANDBOX_LIMITS`. */
export interface SandboxLimits {
  /** Wall-clock time of a run; the whole sandbox is killed when it is up. */
  wallTimeMs: number;
  /** CPU time of each process (RLIMIT_CPU: SIGXCPU, then SIGKILL a second later). */
  cpuSeconds: number;
  /** Memory of the whole run (a memory cgroup; RLIMIT_AS per process where no cgroup is writable). */
  memoryBytes: number;
  /** Processes and threads the command may run at once (a pids cgroup and RLIMIT_NPROC). */
  maxProcesses: number;
  /** stdout plus stderr; the run is killed when it writes more. */
  maxOutputBytes: number;
  /** Size of any one file the command writes (RLIMIT_FSIZE). */
  maxFileBytes: number;
  /** Network access. Off by default; with it on, the host's network and resolver are shared. */
  network: boolean;
}

/** The limits of a run when neither the provider, `provision()` nor `run()` says otherwise. */
export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  wallTimeMs: 30_000,
  cpuSeconds: 20,
  memoryBytes: 512 * 1024 * 1024,
  maxProcesses: 64,
  maxOutputBytes: 1024 * 1024,
  maxFileBytes: 64 * 1024 * 1024,
  network: false,
});

/** Why a run was stopped from outside (or, for `memory` and `cpu`, by the kernel on our limit). */
export type KillReason = 'wall-time' | 'cpu' | 'memory' | 'output' | 'processes' | 'cancelled';

export interface RunResult {
  /**
   * The command's exit status; a command ended by signal n reports 128 + n (as shells do) and
   * `signal`. Null when the sandbox itself was killed (wall time, output, processes, cancel).
   */
  exitCode: number | null;
  /** The signal that ended the command or the sandbox, e.g. 'SIGKILL', 'SIGXCPU'. */
  signal: string | null;
  /** UTF-8, at most `maxOutputBytes` together with stderr. */
  stdout: string;
  stderr: string;
  /** Killed by the wall-clock or the CPU-time limit. */
  timedOut: boolean;
  /** Output went over `maxOutputBytes`: what is here is the beginning. */
  outputTruncated: boolean;
  killedBy?: KillReason;
  durationMs: number;
}

export type SandboxIsolation = 'bubblewrap' | 'weak';

export interface RunOptions {
  stdin?: string | Buffer;
  /** Written into the work dir before the command starts (paths relative to it). */
  files?: Record<string, string | Buffer>;
  /** Added to the minimal environment (PATH, HOME=the work dir, LANG). The worker's own is never passed. */
  env?: Record<string, string>;
  /** Working directory, relative to the work dir. */
  cwd?: string;
  /** Aborting kills the run at once (`killedBy: 'cancelled'`); pass the step's `ctx.signal`. */
  signal?: AbortSignal;
  limits?: Partial<SandboxLimits>;
}

export interface Sandbox {
  readonly id: string;
  /** Host path of the private work dir (mounted at /work inside a bubblewrap sandbox). */
  readonly workDir: string;
  readonly isolation: SandboxIsolation;
  /** What this sandbox does not protect against here. Record them with the run and log them. */
  readonly warnings: string[];
  /** Limits of runs that do not pass their own. */
  readonly limits: Readonly<SandboxLimits>;
  /** Runs `command` (argv, no shell) to completion or until a limit stops it; never rejects because of the command. */
  run(command: string[], opts?: RunOptions): Promise<RunResult>;
  /** Writes a file relative to the work dir; refuses paths (and symlinks) that lead out of it. */
  writeFile(path: string, content: string | Buffer): Promise<void>;
  /** Reads a file relative to the work dir; refuses paths (and symlinks) that lead out of it. */
  readFile(path: string): Promise<Buffer>;
  readFile(path: string, encoding: BufferEncoding): Promise<string>;
  /** Kills whatever still runs and removes the work dir. Idempotent. */
  teardown(): Promise<void>;
}

export interface ProvisionOptions {
  /** Defaults for the runs of this sandbox. */
  limits?: Partial<SandboxLimits>;
  /** Shorthand for `limits.network`. */
  network?: boolean;
}

export interface SandboxProvider {
  readonly name: string;
  readonly isolation: SandboxIsolation;
  /** What this provider cannot enforce on this machine; every sandbox repeats them. */
  readonly warnings: string[];
  provision(opts?: ProvisionOptions): Promise<Sandbox>;
}

/** Provider defaults ← provision options ← run options. */
export function mergeLimits(
  ...layers: Array<Partial<SandboxLimits> | undefined>
): SandboxLimits {
  const merged: SandboxLimits = { ...DEFAULT_SANDBOX_LIMITS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer) as Array<[keyof SandboxLimits, unknown]>) {
      if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
    }
  }
  for (const key of ['wallTimeMs', 'cpuSeconds', 'memoryBytes', 'maxProcesses', 'maxOutputBytes', 'maxFileBytes'] as const) {
    const value = merged[key];
    if (!Number.isFinite(value) || value <= 0) {
      throw new SandboxError('SANDBOX_INVALID_OPTIONS', `sandbox limit ${key} must be a positive number, got ${String(value)}`);
    }
  }
  return merged;
}
