/**
 * Memory and pids cgroups for sandbox runs, on cgroup v1 (a `memory` / `pids` hierarchy) or v2
 * (`memory.max`, `pids.max`, `cgroup.kill`). Each run gets its own cgroup below the worker's own
 * one (so the worker's limits still bound it), named `dxp-sbx-<worker pid>-<sandbox>-<run>` and
 * removed after the run; those of dead workers are swept at detection. Where no controller is
 * writable the caller falls back to rlimits and says so.
 */
import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type CgroupVersion = 'v1' | 'v2';

interface Controller {
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface MountInfo {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions] = right.split(' ');
    const root = fields[3];
    const mountPoint = fields[4];
    if (!root || !mountPoint || !fsType) continue;
    mounts.push({ root, mountPoint: unescapeMountPath(mountPoint), fsType, superOptions: (superOptions ?? '').split(',') });
  }
  return mounts;
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** `/proc/self/cgroup`: controller name (or '' for v2) → path. */
function parseProcCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, , controllers = '', path = '/'] = match;
    if (controllers === '') paths.set('', path);
    for (const name of controllers.split(',')) if (name) paths.set(name, path);
  }
  return paths;
}

function dirOf(mount: MountInfo, cgroupPath: string): string {
  const inside =
    mount.root !== '/' && (cgroupPath === mount.root || cgroupPath.startsWith(mount.root + '/'))
      ? cgroupPath.slice(mount.root.length)
      : cgroupPath;
  return join(mount.mountPoint, inside);
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** Can we create (and remove) a child here? */
async function canCreateChild(parent: string): Promise<string | null> {
  const probe = join(parent, `${CGROUP_PREFIX}${process.pid}-probe-${Date.now()}`);
  try {
    await mkdir(probe);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
  await rmdir(probe).catch(() => undefined);
  return null;
}

async function detect(): Promise<CgroupSupport> {
  const support: CgroupSupport = { memory: null, pids: null, unavailable: {} };
  const [mountText, cgroupText] = await Promise.all([readText('/proc/self/mountinfo'), readText('/proc/self/cgroup')]);
  if (mountText === null || cgroupText === null) {
    support.unavailable = { memory: '/proc/self/cgroup is unreadable', pids: '/proc/self/cgroup is unreadable' };
    return support;
  }
  const mounts = parseMountInfo(mountText);
  const own = parseProcCgroup(cgroupText);
  const v2Mount = mounts.find((m) => m.fsType === 'cgroup2');
  const v2Path = own.get('');
  let v2Enabled: Set<string> | null = null;

  const v2Controller = async (name: 'memory' | 'pids'): Promise<Controller | string> => {
    if (!v2Mount || v2Path === undefined) return 'no cgroup v2 mount';
    const parent = dirOf(v2Mount, v2Path);
    const available = (await readText(join(parent, 'cgroup.controllers')))?.trim().split(/\s+/) ?? [];
    if (!available.includes(name)) return `the ${name} controller is not enabled for ${parent}`;
    if (v2Enabled === null) {
      v2Enabled = new Set((await readText(join(parent, 'cgroup.subtree_control')))?.trim().split(/\s+/) ?? []);
    }
    if (!v2Enabled.has(name)) {
      try {
        // Refused (EBUSY) when the worker's own cgroup holds processes and is not the root.
        await writeFile(join(parent, 'cgroup.subtree_control'), `+${name}`);
        v2Enabled.add(name);
      } catch (err) {
        return `cannot delegate ${name} below ${parent} (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
      }
    }
    const refused = await canCreateChild(parent);
    return refused ? `cannot create cgroups in ${parent} (${refused})` : { version: 'v2', parent };
  };

  for (const name of ['memory', 'pids'] as const) {
    const v1Mount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(name));
    const v1Path = own.get(name);
    let reason: string;
    if (v1Mount && v1Path !== undefined) {
      const parent = dirOf(v1Mount, v1Path);
      const refused = await canCreateChild(parent);
      if (refused === null) {
        support[name] = { version: 'v1', parent };
        continue;
      }
      reason = `cannot create cgroups in ${parent} (${refused})`;
    } else {
      const v2 = await v2Controller(name);
      if (typeof v2 !== 'string') {
        support[name] = v2;
        continue;
      }
      reason = v2;
    }
    support.unavailable[name] = reason;
  }
  for (const controller of [support.memory, support.pids]) {
    if (controller) await sweepStale(controller.parent);
  }
  return support;
}

/** The name of a run cgroup: the worker's pid first, so that leftovers of dead workers can be found. */
export function runCgroupName(sandboxId: string, run: number): string {
  return `${CGROUP_PREFIX}${process.pid}-${sandboxId}-${run}`;
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes run cgroups of workers that died mid-run, killing what still runs in them. */
async function sweepStale(parent: string): Promise<void> {
  const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const match = new RegExp(`^${CGROUP_PREFIX}(\\d+)-`).exec(entry.name);
    if (!entry.isDirectory() || !match?.[1] || isAlive(Number(match[1]))) continue;
    const dir = join(parent, entry.name);
    await killAll(dir, null);
    await rmdir(dir).catch(() => undefined);
  }
}

async function killAll(dir: string, version: CgroupVersion | null): Promise<void> {
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

let detected: Promise<CgroupSupport> | undefined;

/** Detected once per process. */
export function detectCgroups(): Promise<CgroupSupport> {
  detected ??= detect();
  return detected;
}

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
