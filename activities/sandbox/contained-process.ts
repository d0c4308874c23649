/**
 * Runs one sandboxed command (bwrap, or the weak provider's plain child) under the limits that
 * are enforced from the parent: wall time, output size, cancellation, a fork-bomb watch on the
 * pids cgroup; and turns its end into a RunResult.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Writable } from 'node:stream';
import type { RunCgroup } from './cgroups';
import { SandboxError } from './errors';
import { stdioFor } from './inherited-fds';
import type { KillReason, RunResult, SandboxLimits } from './types';

export interface ContainedSpawn {
  argv: string[];
  /** The whole environment of the spawned process (never the worker's). */
  env: Record<string, string>;
  cwd: string;
  stdin?: string | Buffer;
  limits: SandboxLimits;
  signal: AbortSignal;
  /** Joined before exec (by a tiny sh wrapper), so every descendant is in it from the start. */
  cgroup: RunCgroup | null;
  /**
   * Keep stdout as bytes (`stdoutBytes`, `stdout` left empty), counted on its own against this cap
   * instead of maxOutputBytes (stderr still is): a file transfer's data. Over the cap: killed as `output`.
   */
  stdoutBytesCap?: number;
  /** Data for fds 3, 4, ... of the spawned process (a pipe each, closed after the data), e.g. bwrap's `--args 3`. */
  extraStdio?: Buffer[];
}

/** A RunResult, plus stdout's bytes when `stdoutBytesCap` asked for them. */
export type ContainedResult = RunResult & { stdoutBytes?: Buffer };

/**
 * Moves itself into each file's cgroup before `--`, then execs the rest. "0" (itself) and not its
 * pid: written to a v1 `tasks` file, that moves its only thread without the kernel's global
 * threadgroup lock, whose RCU grace period cost 8-26 ms per run (see RunCgroup.procsFiles).
 */
const JOIN_CGROUPS =
  'for f do shift; [ "$f" = -- ] && break; echo 0 > "$f" || { echo "dxp-sandbox: cannot join $f" >&2; exit 125; }; done; exec "$@"';

/**
 * A fork bomb, killed as `processes`: the pids cgroup refused this many forks within the window.
 * A program that merely reaches the limit sees a fork fail and stops or backs off.
 */
const FORK_BOMB_REFUSALS = 50;
const FORK_BOMB_WINDOW_MS = 1_000;
const FORK_BOMB_POLL_MS = 100;
/** After the command exits, how long a leftover holding stdout/stderr may keep the run open. */
const CLOSE_GRACE_MS = 500;

/** Signal number → first (canonical) name: SIGABRT rather than SIGIOT. */
const SIGNAL_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(osConstants.signals)) if (!SIGNAL_NAMES.has(n)) SIGNAL_NAMES.set(n, name);

export async function runContained(spec: ContainedSpawn): Promise<ContainedResult> {
  const { limits, signal, cgroup } = spec;
  if (signal.aborted) {
    return { exitCode: null, signal: null, stdout: '', stderr: '', timedOut: false, outputTruncated: false, killedBy: 'cancelled', durationMs: 0 };
  }
  const argv = cgroup ? ['/bin/sh', '-c', JOIN_CGROUPS, 'dxp-sandbox', ...cgroup.procsFiles(), '--', ...spec.argv] : spec.argv;
  const [file, ...args] = argv;
  if (!file) throw new SandboxError('SANDBOX_INVALID_OPTIONS', 'empty command');

  const started = performance.now();
  const extra = spec.extraStdio ?? [];
  // Descriptors the worker inherited (not close-on-exec) would pass into the sandbox: /dev/null in their place.
  const stdio = stdioFor(['pipe', 'pipe', 'pipe', ...extra.map(() => 'pipe' as const)]);
  // stdio 0-2 are pipes whatever follows them.
  const child = spawn(file, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio }) as ChildProcessWithoutNullStreams;
  extra.forEach((data, i) => {
    const fd = child.stdio[3 + i] as Writable;
    fd.on('error', () => undefined); // EPIPE when the launcher dies before reading
    fd.end(data);
  });

  let killedBy: KillReason | undefined;
  let exited = false;
  const kill = (reason: KillReason): void => {
    if (killedBy || exited) return;
    killedBy = reason;
    killGroup(child.pid);
    void cgroup?.kill().catch(() => undefined);
  };

  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const binary = spec.stdoutBytesCap !== undefined;
  const counted = { shared: 0, stdout: 0 };
  let outputTruncated = false;
  const collect = (into: Buffer[], counter: keyof typeof counted, cap: number) => (chunk: Buffer) => {
    if (outputTruncated) return;
    const room = cap - counted[counter];
    if (chunk.length > room) {
      into.push(chunk.subarray(0, room));
      counted[counter] += room;
      outputTruncated = true;
      kill('output');
      return;
    }
    into.push(chunk);
    counted[counter] += chunk.length;
  };
  child.stdout.on('data', binary ? collect(out, 'stdout', spec.stdoutBytesCap ?? 0) : collect(out, 'shared', limits.maxOutputBytes));
  child.stderr.on('data', collect(err, 'shared', limits.maxOutputBytes));
  child.stdin.on('error', () => undefined); // EPIPE when the command does not read its input
  child.stdin.end(spec.stdin ?? '');

  const wallTimer = setTimeout(() => kill('wall-time'), limits.wallTimeMs);
  const onAbort = () => kill('cancelled');
  signal.addEventListener('abort', onAbort, { once: true });
  const stopForkBombWatch = cgroup?.hasPids ? watchForkBomb(cgroup, () => kill('processes')) : () => undefined;

  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    const [code, exitSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', (e) =>
        reject(new SandboxError('SANDBOX_SPAWN_FAILED', `cannot start ${file}: ${e.message}`, { cause: e })),
      );
      child.once('exit', (c, s) => resolve([c, s]));
    });
    exited = true;
    // Nothing outlives the run: processes that left the group are still in the cgroup.
    killGroup(child.pid);
    await cgroup?.kill().catch(() => undefined);
    await Promise.race([closed, new Promise((r) => setTimeout(r, CLOSE_GRACE_MS))]);
    child.stdout.destroy();
    child.stderr.destroy();

    let exitCode: number | null = code;
    let endSignal: string | null = exitSignal;
    if (exitSignal) {
      exitCode = killedBy ? null : 128 + (osConstants.signals[exitSignal] ?? 0);
    } else if (code !== null && code > 128) {
      endSignal = SIGNAL_NAMES.get(code - 128) ?? null;
    }
    if (!killedBy && exitCode !== 0 && cgroup && (await cgroup.oomKills()) > 0) killedBy = 'memory';
    if (!killedBy && endSignal === 'SIGXCPU') killedBy = 'cpu';

    return {
      exitCode,
      signal: endSignal,
      stdout: binary ? '' : Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      timedOut: killedBy === 'wall-time' || killedBy === 'cpu',
      outputTruncated,
      ...(killedBy ? { killedBy } : {}),
      durationMs: Math.round(performance.now() - started),
      ...(binary ? { stdoutBytes: Buffer.concat(out) } : {}),
    };
  } finally {
    clearTimeout(wallTimer);
    signal.removeEventListener('abort', onAbort);
    stopForkBombWatch();
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is gone
  }
}

function watchForkBomb(cgroup: RunCgroup, onBomb: () => void): () => void {
  const samples: Array<{ at: number; refused: number }> = [];
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void cgroup
      .forksRefused()
      .then((refused) => {
        const now = performance.now();
        samples.push({ at: now, refused });
        while (samples.length > 1 && (samples[0]?.at ?? now) < now - FORK_BOMB_WINDOW_MS) samples.shift();
        if (refused - (samples[0]?.refused ?? refused) >= FORK_BOMB_REFUSALS) onBomb();
      })
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, FORK_BOMB_POLL_MS);
  return () => clearInterval(timer);
}
