/**
 * CPU and memory of processes other than this one, from Linux /proc: a process tree's CPU
 * (children that exited included), a sampled peak RSS, and the whole machine's busy time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mb } from '../shared/process-stats';

/** USER_HZ: clock ticks per second of /proc/<pid>/stat and /proc/stat on Linux. */
const TICKS_PER_S = 100;

interface Stat {
  ppid: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
}

function readStat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state, ppid, ... utime, stime, cutime, cstime (fields 4, 14-17 of proc(5)).
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
    return { ppid: f[1] ?? 0, utime: f[11] ?? 0, stime: f[12] ?? 0, cutime: f[13] ?? 0, cstime: f[14] ?? 0 };
  } catch {
    return null;
  }
}

/**
 * CPU seconds of `pid`, of its children it has waited for (cutime, cstime: PostgreSQL backends
 * that exited) and of its live children. Read before and after, the difference counts a child
 * that exits in between once: live before, in cutime after.
 */
export function treeCpuSeconds(pid: number): number | null {
  const root = readStat(pid);
  if (!root) return null;
  let ticks = root.utime + root.stime + root.cutime + root.cstime;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = readStat(Number(entry));
    if (child?.ppid === pid) ticks += child.utime + child.stime;
  }
  return ticks / TICKS_PER_S;
}

/** Busy CPU seconds of the whole machine (every core; all but idle and iowait), from /proc/stat. */
export function machineBusySeconds(): number | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    return (user + nice + system + irq + softirq + steal) / TICKS_PER_S;
  } catch {
    return null;
  }
}

/** VmRSS of a process in bytes; null once it is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples another process's RSS every `everyMs` until stopped: the peak is what must stay flat with N. */
export function pidRssSampler(pid: number, everyMs = 500) {
  const first = rssBytes(pid) ?? 0;
  let peak = first;
  let last = first;
  let samples = 1;
  const sample = (): void => {
    const rss = rssBytes(pid);
    if (rss === null) return;
    last = rss;
    peak = Math.max(peak, rss);
    samples++;
  };
  const timer = setInterval(sample, everyMs);
  return {
    currentMb: (): number => mb(last),
    stop(): { startMb: number; peakMb: number; endMb: number; samples: number } {
      clearInterval(timer);
      sample();
      return { startMb: mb(first), peakMb: mb(peak), endMb: mb(last), samples };
    },
  };
}
