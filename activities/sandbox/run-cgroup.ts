/**
 * The cgroup(s) of one sandbox run, below the parents cgroups.ts detected: created with the
 * run's memory and pids limits (v1 or v2 files), joined by the run's process before exec (see
 * `procsFiles`), read for OOM kills and refused forks, killed, and removed after the run
 * (killing what is left in them first).
 */
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killAll, readText, sleep, type CgroupSupport, type CgroupVersion } from './cgroup-common';

export interface RunCgroupLimits {
  memoryBytes?: number;
  maxProcesses?: number;
}

/** The cgroup(s) of one run. */
export class RunCgroup {
  private constructor(
    private readonly memoryDir: { version: CgroupVersion; dir: string } | null,
    private readonly pidsDir: { version: CgroupVersion; dir: string } | null,
  ) {}

  /** Creates the run's cgroups and sets their limits; null when there is nothing to create. */
  static async create(support: CgroupSupport, name: string, limits: RunCgroupLimits): Promise<RunCgroup | null> {
    const memory = limits.memoryBytes !== undefined && support.memory ? support.memory : null;
    const pids = limits.maxProcesses !== undefined && support.pids ? support.pids : null;
    if (!memory && !pids) return null;
    const memoryDir = memory ? { version: memory.version, dir: join(memory.parent, name) } : null;
    const pidsDir = pids ? { version: pids.version, dir: join(pids.parent, name) } : null;
    const cgroup = new RunCgroup(memoryDir, pidsDir);
    // The two controllers side by side, not one after the other: each step is a trip through
    // libuv's thread pool. Within one controller, in order (memsw must not go below the limit).
    const memorySetup = async (): Promise<void> => {
      if (!memoryDir || limits.memoryBytes === undefined) return;
      const bytes = String(Math.floor(limits.memoryBytes));
      const set = (file: string, value: string) => writeFile(join(memoryDir.dir, file), value);
      if (memoryDir.version === 'v1') {
        await set('memory.limit_in_bytes', bytes);
        // No swapping around the limit, where swap accounting exists.
        await set('memory.memsw.limit_in_bytes', bytes).catch(() => undefined);
      } else {
        await set('memory.max', bytes);
        await Promise.all([set('memory.swap.max', '0').catch(() => undefined), set('memory.oom.group', '1').catch(() => undefined)]);
      }
    };
    const pidsSetup = async (): Promise<void> => {
      if (pidsDir && limits.maxProcesses !== undefined) {
        await writeFile(join(pidsDir.dir, 'pids.max'), String(Math.floor(limits.maxProcesses)));
      }
    };
    const firstFailure = (results: PromiseSettledResult<unknown>[]) => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    };
    try {
      // allSettled: nothing still in flight when a failure removes what was made.
      firstFailure(await Promise.allSettled(cgroup.dirs().map((dir) => mkdir(dir))));
      firstFailure(await Promise.allSettled([memorySetup(), pidsSetup()]));
    } catch (err) {
      await cgroup.remove().catch(() => undefined);
      throw err;
    }
    return cgroup;
  }

  get hasMemory(): boolean {
    return this.memoryDir !== null;
  }

  get hasPids(): boolean {
    return this.pidsDir !== null;
  }

  private groups(): Array<{ version: CgroupVersion; dir: string }> {
    const groups = [this.memoryDir, this.pidsDir].filter((g) => g !== null);
    return groups.filter((g, i) => groups.findIndex((other) => other.dir === g.dir) === i);
  }

  private dirs(): string[] {
    return this.groups().map((g) => g.dir);
  }

  /**
   * Files a single-threaded process writes "0" to, before exec, to join the run's cgroups: v1's
   * `tasks` (moving the writing thread, its only one, which the kernel does without the global
   * threadgroup lock: writing a pid to `cgroup.procs` waits for an RCU grace period, 8-26 ms
   * per run measured, longer under load), v2's `cgroup.procs` (which has no such file).
   */
  procsFiles(): string[] {
    return this.groups().map(({ dir, version }) => join(dir, version === 'v1' ? 'tasks' : 'cgroup.procs'));
  }

  /** OOM kills so far (memory.oom_control or memory.events). */
  async oomKills(): Promise<number> {
    if (!this.memoryDir) return 0;
    const file = this.memoryDir.version === 'v1' ? 'memory.oom_control' : 'memory.events';
    return counter(await readText(join(this.memoryDir.dir, file)), 'oom_kill');
  }

  /** Forks refused by pids.max so far. */
  async forksRefused(): Promise<number> {
    if (!this.pidsDir) return 0;
    return counter(await readText(join(this.pidsDir.dir, 'pids.events')), 'max');
  }

  /** SIGKILLs every process in the run's cgroups, also those that left the process group. */
  async kill(): Promise<void> {
    await Promise.all(this.groups().map(({ dir, version }) => killAll(dir, version)));
  }

  /**
   * Removes the cgroups, killing what is left in them first: rmdir is refused (EBUSY) while a
   * cgroup holds a process, so an empty one (the usual case after a run) goes at once, and a
   * busy one is killed and retried while the dead are reaped.
   */
  async remove(): Promise<void> {
    const removeOne = async ({ dir, version }: { dir: string; version: CgroupVersion }): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          await rmdir(dir);
          return;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return;
          if (attempt >= 40) throw err;
          await killAll(dir, version);
          await sleep(Math.min(25, 2 ** attempt));
        }
      }
    };
    const results = await Promise.allSettled(this.groups().map(removeOne));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

function counter(text: string | null, key: string): number {
  const match = text ? new RegExp(`^${key} (\\d+)$`, 'm').exec(text) : null;
  return match?.[1] ? Number(match[1]) : 0;
}
