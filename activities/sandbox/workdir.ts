/**
 * The host side of a sandbox's files: a private directory per sandbox, and the check of the paths
 * that the file API takes (reads and writes themselves run inside the sandbox: transfer.ts).
 *
 * Layout: `<rootDir>/dxp-sbx-<worker pid>-XXXXXX/` (root-owned, 0711) holding `work/` (the work dir, owned by
 * the sandbox uid, 0700), `tmp/` (TMPDIR of the weak provider) and `etc/` (a passwd and group
 * naming only the sandbox user, for the bubblewrap provider).
 */
import { chmod, chown, mkdir, mkdtemp, readdir, realpath, rm, writeFile as fsWriteFile } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { isAlive } from './cgroups';
import { SandboxError } from './errors';
import { removeTree } from './teardown';

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
    // Best effort: a dir that cannot be removed now is tried again by the next worker.
    await removeTree(join(rootDir, entry.name)).catch(() => undefined);
  }
}

/**
 * Removes the sandbox's dirs, whatever tree its programs left (see teardown.ts); call it only once
 * none of them runs. Throws SandboxTeardownError when the dir is still on the host.
 */
export async function removeSandboxDirs(dirs: SandboxDirs): Promise<void> {
  await removeTree(dirs.root);
}

/**
 * `rel` as a normalised path relative to the work dir (`''` for the work dir itself): throws
 * SANDBOX_PATH_ESCAPE for unusable and absolute paths and for `..` leading out. Only text: the
 * host never resolves it on the disk, the sandbox's own tools do (transfer.ts).
 */
export function workRelativePath(rel: string): string {
  if (typeof rel !== 'string' || rel.length === 0 || rel.includes('\0')) {
    throw new SandboxError('SANDBOX_PATH_ESCAPE', `not a usable path: ${JSON.stringify(rel)}`);
  }
  if (posix.isAbsolute(rel)) {
    throw new SandboxError('SANDBOX_PATH_ESCAPE', `paths are relative to the work dir, got the absolute path ${rel}`);
  }
  const normal = posix.normalize(rel).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) {
    throw new SandboxError('SANDBOX_PATH_ESCAPE', `${rel} leads out of the work dir`);
  }
  return normal === '.' ? '' : normal;
}
