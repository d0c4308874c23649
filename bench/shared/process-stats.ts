/** Memory and CPU of the bench process and of the dev server, read while an experiment runs. */
import { readFileSync } from 'node:fs';

export const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Samples this process's RSS every 200 ms until stopped. */
export function rssSampler(): { stop(): { baselineMb: number; peakMb: number; samples: number } } {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
    samples++;
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return { baselineMb: mb(baseline), peakMb: mb(peak), samples: samples + 1 };
    },
  };
}

/** User+system CPU seconds of another process (Linux /proc; null elsewhere). */
export function procCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), in clock ticks of 1/100 s on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
