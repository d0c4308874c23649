/**
 * File transfers in and out of a sandbox's work dir, done by the sandbox itself. The host never
 * opens a path inside the sandbox's writable tree (a program of the sandbox may swap any directory
 * on it for a symlink between a check and a use, or plant a FIFO). Instead a transfer is a run of
 * the sandbox's own launcher (bubblewrap: the same mounts, the sandbox uid, no network; weak: the
 * same uid drop, cwd the work dir) of `sh` with `tar` or `cat` from the read-only /usr, streaming
 * over stdin/stdout. A symlink then only reaches what the sandbox can already see, as the sandbox
 * uid: it cannot read root-only files or chown anything. What the host does is validate the
 * path's text (relative, no `..` out), bound the transfer in time and size, and map its end to
 * the API's errors.
 *
 * The shell's checks (symlinks, non-directories, non-regular files) keep the API's refusals, but
 * they are not what keeps the host safe: they race like any check, inside the sandbox, where a lost
 * race reaches nothing new. A FIFO swapped in after the check blocks only the transfer (`cat`; tar
 * replaces the file, opening with O_EXCL|O_NONBLOCK), which the transfer's short wall time kills.
 */
import { SandboxError, type SandboxErrorCode } from './errors';
import type { RunResult, SandboxLimits } from './types';
import { tarArchive } from './ustar';

/** How a transfer's program runs: the sandbox's launcher, without a cgroup (see LocalSandbox). */
export type TransferRunner = (
  command: string[],
  opts: { stdin?: Buffer; limits: SandboxLimits; stdoutBytesCap?: number },
) => Promise<RunResult & { stdoutBytes?: Buffer }>;

/** A transfer's wall time: this much, plus its bytes at TRANSFER_BYTES_PER_SECOND. */
export const TRANSFER_BASE_MS = 5_000;
export const TRANSFER_BYTES_PER_SECOND = 32 * 1024 * 1024;
/** What a transfer may print on stderr (its error messages). */
const TRANSFER_STDERR_BYTES = 64 * 1024;
/** Room for the transfer's own tools, whatever the sandbox's runs are limited to. */
const TRANSFER_MIN_MEMORY = 256 * 1024 * 1024;
const TRANSFER_MIN_CPU_SECONDS = 10;

/** Exit codes of the transfer scripts' refusals (none of bwrap, setpriv, prlimit, sh or tar uses them). */
const EXIT = { escape: 90, notDirectory: 91, notRegular: 92, notFound: 93 } as const;
const PREFIX = 'dxp-files: ';

const FAIL = `fail() { code=$1; shift; printf '${PREFIX}%s\\n' "$*" >&2; exit "$code"; }`;

/**
 * `check f|d PATH`: every existing component of PATH must be a directory and no symlink; the last
 * one a regular file (f) or a directory (d), or absent. `set -f`: no globbing of the components.
 */
const CHECK = `check() {
  kind=$1 path=$2 p=.
  IFS=/; set -- $2; unset IFS
  while [ $# -gt 0 ]; do
    p=$p/$1; shift
    if [ -L "$p" ] && [ $# -eq 0 ]; then fail ${EXIT.escape} "$path is a symlink"
    elif [ -L "$p" ]; then fail ${EXIT.escape} "$path: \${p#./} is a symlink"
    elif [ ! -e "$p" ]; then return 0
    elif [ $# -gt 0 ] || [ "$kind" = d ]; then [ -d "$p" ] || fail ${EXIT.notDirectory} "$path: \${p#./} is not a directory"
    else [ -f "$p" ] || fail ${EXIT.notRegular} "$path is not a regular file"
    fi
  done
}`;

/** `sh -c PUT dxp-files CWD FILE...`: makes CWD ('' for none), then extracts the tar on stdin holding FILE... */
const PUT = `set -f
${FAIL}
${CHECK}
cwd=$1; shift
[ -z "$cwd" ] || check d "$cwd"
for f do check f "$f"; done
[ -z "$cwd" ] || mkdir -p -- "./$cwd" || fail ${EXIT.notDirectory} "$cwd: cannot create the directory"
[ $# -eq 0 ] || exec tar -x -f - --no-same-owner --no-same-permissions`;

/** `sh -c GET dxp-files FILE`: FILE, if it is a regular file whose real path stays in the work dir (the cwd). */
const GET = `set -f
${FAIL}
p=./$1
[ -e "$p" ] || fail ${EXIT.notFound} "$1 does not exist in the work dir"
root=$(pwd -P) && real=$(readlink -f -- "$p") || fail ${EXIT.notFound} "$1 does not exist in the work dir"
case $real in "$root" | "$root"/*) ;; *) fail ${EXIT.escape} "$1 is a symlink out of the work dir";; esac
[ -f "$real" ] || fail ${EXIT.notRegular} "$1 is not a regular file"
exec cat -- "$real"`;

/** The limits of a transfer: short in time, its own memory and CPU, no network. */
function transferLimits(limits: SandboxLimits, bytes: number, largestFile: number): SandboxLimits {
  return {
    ...limits,
    wallTimeMs: TRANSFER_BASE_MS + Math.ceil((bytes / TRANSFER_BYTES_PER_SECOND) * 1000),
    cpuSeconds: Math.max(limits.cpuSeconds, TRANSFER_MIN_CPU_SECONDS),
    memoryBytes: Math.max(limits.memoryBytes, TRANSFER_MIN_MEMORY),
    maxOutputBytes: TRANSFER_STDERR_BYTES,
    // The host's content is the caller's: RLIMIT_FSIZE bounds what runs write, not what is put in.
    maxFileBytes: Math.max(limits.maxFileBytes, largestFile + 1),
    network: false,
  };
}

/**
 * Writes `files` (normalised relative paths) into the work dir and makes the directory `cwd`
 * ('' for none), in one run of the sandbox's launcher. Throws the API's SandboxErrors.
 */
export async function putFiles(
  run: TransferRunner,
  limits: SandboxLimits,
  files: ReadonlyArray<readonly [string, Buffer]>,
  cwd = '',
): Promise<void> {
  if (files.length === 0 && cwd === '') return;
  const archive = files.length ? tarArchive(files.map(([path, content]) => ({ path, content }))) : undefined;
  const largest = Math.max(0, ...files.map(([, content]) => content.length));
  const what = files.length ? `writing ${files.map(([path]) => path).join(', ')}` : `making the directory ${cwd}`;
  const result = await run(['/bin/sh', '-c', PUT, 'dxp-files', cwd, ...files.map(([path]) => path)], {
    ...(archive ? { stdin: archive } : {}),
    limits: transferLimits(limits, archive?.length ?? 0, largest),
  });
  check(result, what, { [EXIT.notRegular]: 'SANDBOX_PATH_ESCAPE' });
}

/** Reads `rel` (a normalised relative path), at most `limits.maxFileBytes` of it. */
export async function getFile(run: TransferRunner, limits: SandboxLimits, rel: string): Promise<Buffer> {
  const result = await run(['/bin/sh', '-c', GET, 'dxp-files', rel], {
    limits: transferLimits(limits, limits.maxFileBytes, 0),
    stdoutBytesCap: limits.maxFileBytes,
  });
  if (result.killedBy === 'output' && result.outputTruncated && (result.stdoutBytes?.length ?? 0) >= limits.maxFileBytes) {
    throw new SandboxError('SANDBOX_TRANSFER_FAILED', `${rel} is larger than maxFileBytes (${limits.maxFileBytes} bytes)`);
  }
  check(result, `reading ${rel}`, { [EXIT.notRegular]: 'SANDBOX_FILE_NOT_FOUND' });
  return result.stdoutBytes ?? Buffer.alloc(0);
}

/** Throws the SandboxError that the transfer's end stands for, if it did not succeed. */
function check(result: RunResult, what: string, codes: Partial<Record<number, SandboxErrorCode>>): void {
  if (!result.killedBy && result.exitCode === 0) return;
  if (result.killedBy === 'cancelled') throw new SandboxError('SANDBOX_TORN_DOWN', `${what}: the sandbox was torn down`);
  if (result.killedBy === 'wall-time') {
    throw new SandboxError(
      'SANDBOX_TRANSFER_FAILED',
      `${what} timed out after ${result.durationMs} ms (a FIFO or a device swapped in after the check?)`,
    );
  }
  if (result.killedBy) throw new SandboxError('SANDBOX_TRANSFER_FAILED', `${what}: the transfer was killed (${result.killedBy})`);
  const lines = result.stderr.split('\n').filter(Boolean);
  const refusal = lines.find((line) => line.startsWith(PREFIX))?.slice(PREFIX.length);
  const code: SandboxErrorCode | undefined =
    refusal === undefined
      ? undefined
      : (codes[result.exitCode ?? -1] ??
        {
          [EXIT.escape]: 'SANDBOX_PATH_ESCAPE' as const,
          [EXIT.notDirectory]: 'SANDBOX_PATH_ESCAPE' as const,
          [EXIT.notFound]: 'SANDBOX_FILE_NOT_FOUND' as const,
        }[result.exitCode ?? -1]);
  if (code && refusal !== undefined) throw new SandboxError(code, refusal);
  const detail = lines.slice(0, 3).join('; ') || `exit ${result.exitCode ?? result.signal}`;
  throw new SandboxError('SANDBOX_TRANSFER_FAILED', `${what} failed: ${detail}`);
}
