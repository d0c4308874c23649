/**
 * Durable file writes for the local store: a whole file written through a temp file and fsynced,
 * so a reader (or a SIGKILL) never sees half of it, and the directory entry fsynced after a
 * create or rename. Creating keeps an existing file (of two racing creates the first wins), also
 * on file systems without hard links.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Writes via a temp file so readers never see half a file; 'create' keeps an existing file. */
export async function writeAtomic(file: string, text: string, mode: 'create' | 'replace'): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(temp, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (mode === 'replace') {
      await fs.rename(temp, file);
    } else {
      // link fails if the file exists, so of two racing opens the first one wins.
      await fs.link(temp, file).catch(async (err: unknown) => {
        if (isCode(err, 'EEXIST')) return;
        if (!LINK_UNSUPPORTED.some((code) => isCode(err, code))) throw err;
        if (!(await exists(file))) await fs.rename(temp, file);
      });
    }
  } finally {
    await fs.rm(temp, { force: true });
  }
  await syncDir(path.dirname(file));
}

/** Errors of file systems without hard links, where create falls back to check-then-rename. */
const LINK_UNSUPPORTED = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'];

export async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** Makes a created or renamed entry durable; some platforms cannot fsync a directory, which is fine. */
export async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close();
  }
}

export function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
