/**
 * Memory and pids cgroups for sandbox runs, on cgroup v1 (a `memory` / `pids` hierarchy) or v2
 * (`memory.max`, `pids.max`, `cgroup.kill`). Each run gets its own cgroup below the worker's own
 * one (so the worker's limits still bound it), named `dxp-sbx-<worker pid>-<sandbox>-<run>` and
 * removed after the run; those of dead workers are swept at detection. Where no controller is
 * writable the caller falls back to rlimits and says so.
 *
 * This file detects, once per process, which controllers can be used (and sweeps the leftovers of
 * dead workers); run-cgroup.ts creates, reads and removes one run's cgroups; cgroup-common.ts
 * holds what both use.
 */
import { mkdir, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CGROUP_PREFIX, killAll, readText, type CgroupSupport, type Controller } from './cgroup-common';

export { CGROUP_PREFIX, type CgroupSupport, type CgroupVersion } from './cgroup-common';
export { RunCgroup, type RunCgroupLimits } from './run-cgroup';

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

let detected: Promise<CgroupSupport> | undefined;

/** Detected once per process. */
export function detectCgroups(): Promise<CgroupSupport> {
  detected ??= detect();
  return detected;
}
