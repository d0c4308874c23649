/**
 * Removes a sandbox's directory tree from the host, whatever the sandbox made of it: any depth
 * (Node's recursive `fs.rm` fails with ENAMETOOLONG past PATH_MAX), hundreds of thousands of
 * files, names with newlines, leading dashes or invalid UTF-8, directories chmod 000 or 500,
 * FIFOs, sockets, hard links and symlinks to host directories, which are never followed.
 *
 * It must only be called once no process of the sandbox runs (a sandbox's teardown aborts and
 * awaits its runs first): a live process could keep filling the tree. The tree is removed by GNU
 * `rm -rf --one-file-system` spawned from the host (fts: openat/unlinkat, no depth limit, never
 * follows symlinks, stays on the tree's filesystem). Without root, directories are first made
 * traversable with `chmod -R u+rwx`, which does not follow symlinks it meets during the walk.
 * Both run under one time budget; afterwards the directory must be gone, or `SandboxTeardownError`
 * says what is left and why.
 */
import { spawn } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import { findExecutable, SANDBOX_PATH } from './host-tools';

/** Time for the whole removal; 100,000 files take about a second. */
export const DEFAULT_TEARDOWN_TIMEOUT_MS = 120_000;
/** How much of a failing command's stderr is kept (its first line goes in the reason). */
const STDERR_KEEP_BYTES = 4 * 1024;
const REASON_MAX_CHARS = 300;

/** A sandbox directory that teardown could not remove: it is still on the host. */
export class SandboxTeardownError extends Error {
  constructor(
    /** The directory left on the host. */
    readonly dir: string,
    /** Why, in one line. */
    readonly reason: string,
  ) {
    super(`teardown left ${dir} on the host: ${reason}`);
    this.name = 'SandboxTeardownError';
  }
}

export interface RemoveTreeOptions {
  /** Budget for the whole removal (default 120 s); the commands are killed when it is spent. */
  timeoutMs?: number;
  /** Run the chmod pass even as root (it is always run without root). */
  makeTraversable?: boolean;
}

/**
 * Removes `dir` and everything below it, following no symlink; resolves once it is gone (also
 * when it never existed), throws SandboxTeardownError when it is still there.
 */
export async function removeTree(dir: string, opts: RemoveTreeOptions = {}): Promise<void> {
  const deadline = performance.now() + (opts.timeoutMs ?? DEFAULT_TEARDOWN_TIMEOUT_MS);
  const remaining = () => Math.max(0, deadline - performance.now());
  const first = await present(dir);
  if (first === 'gone') return;
  if (first !== 'directory') {
    // Never hand a symlink to chmod (it would follow a link named on its command line): rm removes the link itself.
    const rm = await runTool('rm', removeArgs(dir), remaining());
    const after = await present(dir);
    if (after === 'gone') return;
    throw new SandboxTeardownError(dir, rm ?? `still there (${after})`);
  }

  const asRoot = process.getuid?.() === 0;
  let reason: string | null = null;
  if (!asRoot || opts.makeTraversable) reason = await runTool('chmod', ['-R', 'u+rwx', '--', dir], remaining());
  reason = (await runTool('rm', removeArgs(dir), remaining())) ?? reason;
  if ((await present(dir)) !== 'gone' && asRoot && !opts.makeTraversable && remaining() > 0) {
    // Root without CAP_DAC_OVERRIDE (a container's user namespace, say) meets modes like anyone else.
    await runTool('chmod', ['-R', 'u+rwx', '--', dir], remaining());
    reason = (await runTool('rm', removeArgs(dir), remaining())) ?? reason;
  }
  const left = await present(dir);
  if (left === 'gone') return;
  throw new SandboxTeardownError(dir, reason ?? `rm -rf exited 0 but ${dir} is still there`);
}

/** GNU rm's options on Linux; elsewhere (BSD rm, also fts-based) `-x` is its --one-file-system. */
function removeArgs(dir: string): string[] {
  return process.platform === 'linux' ? ['-rf', '--one-file-system', '--', dir] : ['-rfx', '--', dir];
}

/** 'gone', 'directory', 'other' (a file, a symlink), or why it cannot be told. */
async function present(path: string): Promise<string> {
  try {
    return (await lstat(path)).isDirectory() ? 'directory' : 'other';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'gone' : `cannot stat: ${code ?? String(err)}`;
  }
}

/** Runs a host tool to its end or the budget; null when it exited 0, else why not (one line). */
function runTool(name: string, args: string[], timeoutMs: number): Promise<string | null> {
  const file = findExecutable(name);
  if (!file) return Promise.resolve(`${name} not found on the host`);
  if (timeoutMs <= 0) return Promise.resolve(`no time left for ${name}`);
  return new Promise((resolve) => {
    // The host's own tools, with a minimal environment: nothing of the worker's.
    const child = spawn(file, args, { cwd: '/', env: { PATH: SANDBOX_PATH, LC_ALL: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_KEEP_BYTES) stderr += chunk.toString('utf8');
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve(`${name}: ${err.message}`);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve(`${name} did not finish within ${Math.round(timeoutMs)} ms`);
      else if (code === 0) resolve(null);
      else resolve(oneLine(stderr) || `${name} exited ${code ?? signal}`);
    });
  });
}

/** The first line of `text`, with long paths cut in the middle (a deep tree's path is kilobytes). */
function oneLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  if (line.length <= REASON_MAX_CHARS) return line;
  const half = Math.floor((REASON_MAX_CHARS - 5) / 2);
  return `${line.slice(0, half)} ... ${line.slice(-half)}`;
}
