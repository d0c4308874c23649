/** Host binaries the providers build on (bwrap, setpriv, prlimit) and the rlimits they set. */
import { accessSync, constants as fsConstants, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { SandboxLimits } from './types';

const STANDARD_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable on the worker's PATH or in the standard directories; null if none. */
export function findExecutable(name: string): string | null {
  if (name.includes('/')) return isExecutable(name) ? name : null;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...STANDARD_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The real path of an executable when it lies under /usr (which every bubblewrap sandbox sees). */
export function findUnderUsr(name: string): string | null {
  for (const dir of ['/usr/bin', '/usr/sbin', '/bin', '/sbin']) {
    const candidate = join(dir, name);
    if (!isExecutable(candidate)) continue;
    const real = realpathSync(candidate);
    if (real.startsWith('/usr/')) return real;
  }
  return null;
}

/** The minimal PATH of a sandboxed command (and of the launchers themselves). */
export const SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin';

/**
 * RLIMIT_NPROC above maxProcesses when a pids cgroup enforces the limit: the cgroup then refuses
 * first (and counts it, which is how a fork bomb is recognised); the rlimit stays a backstop.
 */
export const NPROC_SLACK = 8;

export interface RlimitChoice {
  /** RLIMIT_NPROC; only meaningful after a real uid drop (ignored for root, per user in a user namespace). */
  nproc?: number;
  /** RLIMIT_AS = memoryBytes, when no memory cgroup is available. */
  addressSpace: boolean;
}

/** prlimit(1) options for a run: no core files, CPU seconds (SIGXCPU, SIGKILL a second later), file size. */
export function prlimitArgs(limits: SandboxLimits, choice: RlimitChoice): string[] {
  const cpu = Math.max(1, Math.ceil(limits.cpuSeconds));
  const args = ['--core=0', `--cpu=${cpu}:${cpu + 1}`, `--fsize=${Math.floor(limits.maxFileBytes)}`];
  if (choice.nproc !== undefined) args.push(`--nproc=${Math.floor(choice.nproc)}`);
  if (choice.addressSpace) args.push(`--as=${Math.floor(limits.memoryBytes)}`);
  return args;
}
