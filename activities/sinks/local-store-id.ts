/**
 * The identity of a local results store: a random id kept in the folder itself (`.store-id`),
 * made by the first worker that needs it. It follows the folder, not the machine: a container
 * recreated on the same volume is the same store, a folder elsewhere is another one.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';

const STORE_ID_FILE = '.store-id';

/** Reads the folder's id, creating it once; of two processes creating it at once, the first link wins. */
export function localStoreId(root: string): string {
  const file = path.join(root, STORE_ID_FILE);
  const existing = readId(file);
  if (existing) return existing;
  mkdirSync(root, { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx');
  try {
    writeSync(fd, `${randomUUID()}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, file);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
  } finally {
    rmSync(temp, { force: true });
  }
  const id = readId(file);
  if (!id) throw new Error(`${file} is empty or unreadable: remove it, and a worker makes a new one`);
  return id;
}

function readId(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw err;
  }
}
