/**
 * File descriptors that a spawned sandbox would inherit from the worker without asking: those the
 * worker itself inherited without close-on-exec (a CI runner's pipe, a shell's extra redirection).
 * Node and libuv open everything close-on-exec, and neither Node nor bubblewrap closes the rest,
 * so they would reach sandboxed code. libuv cannot close a child's fd, but it can dup2 another
 * onto it: `stdioFor` puts /dev/null in each of their places.
 */
import type { IOType } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';

/** O_CLOEXEC in the octal `flags:` line of /proc/<pid>/fdinfo/<fd> (Linux, every architecture we run on). */
const O_CLOEXEC = 0o2000000;

let devNull: number | undefined;

/** fds above `from` that an exec would keep open (Linux; elsewhere none are known). */
export function inheritableFds(from: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  return entries
    .map(Number)
    .filter((fd) => Number.isInteger(fd) && fd >= from && fd !== devNull)
    .filter((fd) => {
      try {
        const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
        return flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0;
      } catch {
        return false; // closed meanwhile (readdir's own fd among them)
      }
    })
    .sort((a, b) => a - b);
}

/**
 * The `stdio` of a spawn whose own descriptors are `own` (0, 1, 2 and any extra pipes): every
 * inheritable fd beyond them becomes /dev/null in the child.
 */
export function stdioFor(own: IOType[]): (IOType | number)[] {
  const leaks = inheritableFds(own.length);
  if (leaks.length === 0) return own;
  devNull ??= openSync('/dev/null', 'r'); // close-on-exec itself: dup2 makes the copies
  const stdio: (IOType | number)[] = [...own];
  for (let fd = own.length; fd <= leaks[leaks.length - 1]!; fd++) stdio.push(leaks.includes(fd) ? devNull : 'ignore');
  return stdio;
}
