/**
 * The host side of a sandbox's files: a private directory per sandbox, and reads and writes into
 * its work dir that cannot be steered out of it by `..` or by symlinks the guest planted.
 *
 * Layout: `<rootDir>/dxp-sbx-<worker pid>-XXXXXX/` (root-owned, 0711) holding `work/` (the work dir, owned by
 * the sandbox uid, 0700), `tmp/` (TMPDIR of the weak provider) and `etc/` (a passwd and group
 * naming only the sandbox user, for the bubblewrap provider).
 */
import { constants as fsConstants } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, open, readdir, realpath, rm, writeFile as fsWriteFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isAlive } from './cgroups';
import { SandboxError } from './errors';

const DIR_PREFIX = 'dxp-sbx-';
/** Root dirs already swept by this process. */
const swept = new Map<string, Promise<void>>();

export interface SandboxOwner {
  uid: number;
  gid: number;
}

export interface SandboxDirs {
  id: string;
  root: string;
  workDir: string;
  tmpDir: string;
  etcDir: string;
}

/** Creates the sandbox's directories; `owner` is null when not running as root (nothing to chown). */
export async function createSandboxDirs(rootDir: string, owner: SandboxOwner | null): Promise<SandboxDirs> {
  if (!swept.has(rootDir)) swept.set(rootDir, sweepStaleSandboxDirs(rootDir));
  await swept.get(rootDir);
  // The worker's pid in the name: the dirs of a worker killed mid-run can be told and removed.
  const root = await realpath(await mkdtemp(join(rootDir, `${DIR_PREFIX}${process.pid}-`)));
  const id = basename(root).slice(DIR_PREFIX.length);
  const dirs: SandboxDirs = { id, root, workDir: join(root, 'work'), tmpDir: join(root, 'tmp'), etcDir: join(root, 'etc') };
  try {
    await chmod(root, owner ? 0o711 : 0o700);
    await mkdir(dirs.workDir, { mode: 0o700 });
    await mkdir(dirs.tmpDir, { mode: 0o700 });
    await mkdir(dirs.etcDir, { mode: 0o755 });
    const uid = owner?.uid ?? process.getuid?.() ?? 65534;
    const gid = owner?.gid ?? process.getgid?.() ?? 65534;
    await fsWriteFile(join(dirs.etcDir, 'passwd'), `sandbox:x:${uid}:${gid}:sandbox:/work:/bin/sh\n`, { mode: 0o644 });
    await fsWriteFile(join(dirs.etcDir, 'group'), `sandbox:x:${gid}:\n`, { mode: 0o644 });
    if (owner) {
      await chown(dirs.workDir, owner.uid, owner.gid);
      await chown(dirs.tmpDir, owner.uid, owner.gid);
    }
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  return dirs;
}

/**
 * Removes the sandbox dirs that workers which died mid-run (SIGKILL, OOM) left in `rootDir`;
 * their processes died with them (`--die-with-parent`, run cgroups).
 */
export async function sweepStaleSandboxDirs(rootDir: string): Promise<void> {
  const entries = await readdir(rootDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const pid = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(entry.name)?.[1];
    if (!entry.isDirectory() || pid === undefined || Number(pid) === process.pid || isAlive(Number(pid))) continue;
    await rm(join(rootDir, entry.name), { recursive: true, force: true }).catch(() => undefined);
  }
}

export async function removeSandboxDirs(dirs: SandboxDirs): Promise<void> {
  await rm(dirs.root, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

/** `rel` resolved in `workDir`; throws SANDBOX_PATH_ESCAPE for absolute paths and `..` escapes. */
export function resolveInWorkDir(workDir: string, rel: string): string {
  if (typeof rel !== 'string' || rel.length === 0 || rel.includes('\0')) {
    throw new SandboxError('SANDBOX_PATH_ESCAPE', `not a usable path: ${JSON.stringify(rel)}`);
  }
  if (isAbsolute(rel)) {
    throw new SandboxError('SANDBOX_PATH_ESCAPE', `paths are relative to the work dir, got the absolute path ${rel}`);
  }
  const full = resolve(workDir, rel);
  if (full !== workDir && !full.startsWith(workDir + sep)) {
    throw new SandboxError('SANDBOX_PATH_ESCAPE', `${rel} leads out of the work dir`);
  }
  return full;
}

function isInside(workDir: string, full: string): boolean {
  return full === workDir || full.startsWith(workDir + sep);
}

/**
 * Writes `content` at `rel`, creating parent directories (owned by the sandbox user). A symlink
 * or non-directory on the way, or a symlink at the target, is refused: the guest may have put
 * one there to make the host write outside the work dir.
 */
export async function writeWorkFile(
  workDir: string,
  rel: string,
  content: string | Buffer,
  owner: SandboxOwner | null,
): Promise<void> {
  const full = resolveInWorkDir(workDir, rel);
  if (full === workDir) throw new SandboxError('SANDBOX_PATH_ESCAPE', 'cannot write to the work dir itself');
  await ensureDirs(workDir, relative(workDir, full).split(sep).slice(0, -1), owner, rel);
  let handle;
  try {
    handle = await open(full, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | fsConstants.O_NOFOLLOW, 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new SandboxError('SANDBOX_PATH_ESCAPE', `${rel} is a symlink`, { cause: err });
    }
    throw err;
  }
  try {
    if (!(await handle.stat()).isFile()) throw new SandboxError('SANDBOX_PATH_ESCAPE', `${rel} is not a regular file`);
    await handle.writeFile(content);
    if (owner) await handle.chown(owner.uid, owner.gid);
  } finally {
    await handle.close();
  }
}

/** Creates (or checks) a directory relative to the work dir, e.g. a run's `cwd`. */
export async function ensureWorkDir(workDir: string, rel: string, owner: SandboxOwner | null): Promise<string> {
  const full = resolveInWorkDir(workDir, rel);
  await ensureDirs(workDir, relative(workDir, full).split(sep).filter(Boolean), owner, rel);
  return full;
}

async function ensureDirs(workDir: string, parts: string[], owner: SandboxOwner | null, rel: string): Promise<void> {
  let dir = workDir;
  for (const part of parts) {
    dir = join(dir, part);
    const stat = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (stat === null) {
      await mkdir(dir, { mode: 0o755 });
      if (owner) await chown(dir, owner.uid, owner.gid);
    } else if (!stat.isDirectory()) {
      throw new SandboxError('SANDBOX_PATH_ESCAPE', `${rel}: ${relative(workDir, dir)} is not a directory (a symlink?)`);
    }
  }
}

/** Reads `rel`; symlinks are followed only while they stay inside the work dir. */
export async function readWorkFile(workDir: string, rel: string): Promise<Buffer> {
  const full = resolveInWorkDir(workDir, rel);
  let real: string;
  try {
    real = await realpath(full);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SandboxError('SANDBOX_FILE_NOT_FOUND', `${rel} does not exist in the work dir`, { cause: err });
    }
    throw err;
  }
  if (!isInside(workDir, real)) throw new SandboxError('SANDBOX_PATH_ESCAPE', `${rel} is a symlink out of the work dir`);
  let handle;
  try {
    handle = await open(real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new SandboxError('SANDBOX_PATH_ESCAPE', `${rel} changed into a symlink`, { cause: err });
    }
    throw err;
  }
  try {
    if (!(await handle.stat()).isFile()) throw new SandboxError('SANDBOX_FILE_NOT_FOUND', `${rel} is not a regular file`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
