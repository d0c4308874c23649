/**
 * A tar stream of regular files, for the sandbox's `tar -x` (files/transfer.ts): POSIX ustar
 * headers, with a pax `path` record for names longer than the 100-byte name field. Only what a
 * transfer needs: regular files, mode 0644, owner 0 (extracted with --no-same-owner), no
 * directory entries (tar makes the parents, as the sandbox user).
 */

const BLOCK = 512;

export interface TarEntry {
  /** A normalised relative path: no leading `/`, no `.` or `..` components. */
  path: string;
  content: Buffer;
}

/** The whole archive: each entry's header(s) and content, then the two zero blocks of the end. */
export function tarArchive(entries: readonly TarEntry[], mtime = new Date()): Buffer {
  const seconds = Math.floor(mtime.getTime() / 1000);
  const parts: Buffer[] = [];
  for (const { path, content } of entries) {
    const name = Buffer.from(path, 'utf8');
    if (name.length > 100) {
      const record = paxRecord('path', path);
      parts.push(header({ name: Buffer.from('PaxHeader/path', 'utf8'), size: record.length, mtime: seconds, type: 'x' }));
      parts.push(record, padding(record.length));
    }
    parts.push(header({ name: name.length > 100 ? name.subarray(0, 100) : name, size: content.length, mtime: seconds, type: '0' }));
    parts.push(content, padding(content.length));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** `"<len> key=value\n"`, where len counts the whole record, its own digits included. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = Buffer.byteLength(body, 'utf8');
  let len = bodyBytes + 1;
  while (String(len).length + bodyBytes !== len) len = String(len).length + bodyBytes;
  return Buffer.from(`${len}${body}`, 'utf8');
}

function header(h: { name: Buffer; size: number; mtime: number; type: '0' | 'x' }): Buffer {
  const block = Buffer.alloc(BLOCK);
  h.name.copy(block, 0);
  octal(block, 100, 8, 0o644);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, h.size);
  octal(block, 136, 12, h.mtime);
  block.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  block.write(h.type, 156, 'ascii');
  block.write('ustar\u000000', 257, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'ascii');
  return block;
}

/** `value` in octal, zero-padded to fill `width` with its terminating NUL. */
function octal(block: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new RangeError(`${value} does not fit a ${width}-byte tar field`);
  block.write(`${digits.padStart(width - 1, '0')}\u0000`, offset, 'ascii');
}
