/**
 * What cgroup detection (cgroups.ts) and a run's cgroups (run-cgroup.ts) share: the cgroup
 * version and controller types, the `dxp-sbx-` name prefix of run cgroups, reading a cgroup file,
 * and killing every process in a cgroup (with `cgroup.kill` on v2, else pid by pid until
 * `cgroup.procs` is empty).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type CgroupVersion = 'v1' | 'v2';

export interface Controller {
  version: CgroupVersion;
  /** The directory below which run cgroups are created. */
  parent: string;
}

export interface CgroupSupport {
  memory: Controller | null;
  pids: Controller | null;
  /** Why a controller cannot be used. */
  unavailable: { memory?: string; pids?: string };
}

export const CGROUP_PREFIX = 'dxp-sbx-';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

export async function killAll(dir: string, version: CgroupVersion | null): Promise<void> {
  if (version !== 'v1' && (await writeFile(join(dir, 'cgroup.kill'), '1').then(() => true, () => false))) return;
  for (let round = 0; round < 50; round++) {
    const pids = ((await readText(join(dir, 'cgroup.procs'))) ?? '').split('\n').filter(Boolean).map(Number);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // Mostly bwrap's pid 1 still tearing its namespaces down after bwrap reported the exit: gone
    // within a millisecond or two, so look again soon, then every 5 ms.
    await sleep(Math.min(5, 1 + round));
  }
}

