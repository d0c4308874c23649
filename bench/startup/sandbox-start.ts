/**
 * `node -r tsx/cjs bench/startup/sandbox-start.ts`: what a bubblewrap sandbox costs to start, the median
 * of N rounds (DXP_BENCH_RUNS, default 20), each round interleaving:
 *
 * - provision + `true` + teardown: a fresh sandbox for one command (what a step pays);
 * - `true` alone in a sandbox provisioned once (what each further run pays);
 * - bare bwrap: `bwrap` with the same namespaces, read-only /usr, /proc and /dev, running
 *   /usr/bin/true, spawned from Node and awaited the same way: the floor below which the provider
 *   cannot go.
 *
 * Interleaved so that a change of load hits the three alike; the 1-min load average is printed
 * with the figures. Needs bwrap (as root for the uid drop and cgroups, like the worker). Prints a
 * table; writes bench/results/sandbox-start-latest.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BubblewrapProvider } from '../../activities/sandbox/bubblewrap';
import { findExecutable } from '../../activities/sandbox/host-tools';

const ROOT = join(__dirname, '..', '..');
const RUNS = Number(process.env.DXP_BENCH_RUNS ?? 20);
/** Idle time before each measurement, as between the steps of a pipeline (not counted). */
const PAUSE_MS = Number(process.env.DXP_BENCH_PAUSE_MS ?? 100);
const pause = () => new Promise((r) => setTimeout(r, PAUSE_MS));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function bareArgs(): string[] {
  const args = ['--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-net', '--die-with-parent', '--new-session', '--ro-bind', '/usr', '/usr'];
  for (const [link, target] of [['/bin', 'usr/bin'], ['/lib', 'usr/lib'], ['/lib64', 'usr/lib64']] as const) args.push('--symlink', target, link);
  return [...args, '--proc', '/proc', '--dev', '/dev', '--clearenv', '--', '/usr/bin/true'];
}

function spawnAndWait(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: '/', env: { PATH: '/usr/bin:/bin' }, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`bare bwrap exited ${code}: ${stderr}`))));
  });
}

async function main(): Promise<void> {
  const bwrap = findExecutable('bwrap');
  if (!bwrap) throw new Error('bwrap is not installed');
  const t0 = performance.now();
  const provider = await BubblewrapProvider.create();
  const createMs = performance.now() - t0;
  const standing = await provider.provision();
  const times = { provisionRunTeardown: [] as number[], provision: [] as number[], teardown: [] as number[], run: [] as number[], bare: [] as number[] };
  const check = (r: { exitCode: number | null; stderr: string }) => {
    if (r.exitCode !== 0) throw new Error(`true exited ${r.exitCode}: ${r.stderr}`);
  };
  try {
    // One warm-up round: page cache, the sandbox's first cgroup.
    check(await standing.run(['true']));
    await spawnAndWait(bwrap, bareArgs());
    for (let i = 0; i < RUNS; i++) {
      await pause();
      let t = performance.now();
      const sandbox = await provider.provision();
      const provisioned = performance.now();
      check(await sandbox.run(['true']));
      const ran = performance.now();
      await sandbox.teardown();
      const done = performance.now();
      times.provisionRunTeardown.push(done - t);
      times.provision.push(provisioned - t);
      times.teardown.push(done - ran);

      await pause();
      t = performance.now();
      check(await standing.run(['true']));
      times.run.push(performance.now() - t);

      await pause();
      t = performance.now();
      await spawnAndWait(bwrap, bareArgs());
      times.bare.push(performance.now() - t);
    }
  } finally {
    await standing.teardown();
  }
  const load = loadavg()[0] ?? 0;
  const figures = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, { median: median(v), min: Math.min(...v), max: Math.max(...v) }]));
  const rows: Array<[string, keyof typeof times]> = [
    ['provision + true + teardown', 'provisionRunTeardown'],
    ['  of which provision', 'provision'],
    ['  of which teardown', 'teardown'],
    ['true in a standing sandbox', 'run'],
    ['bare bwrap true', 'bare'],
  ];
  process.stdout.write(
    `bubblewrap sandbox start, ms, ${RUNS} rounds ${PAUSE_MS} ms apart (1-min load ${load.toFixed(2)}; provider created in ${createMs.toFixed(0)} ms):\n`,
  );
  process.stdout.write(`${''.padEnd(30)} ${'median'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)}\n`);
  for (const [label, key] of rows) {
    const f = figures[key]!;
    process.stdout.write(`${label.padEnd(30)} ${f.median.toFixed(1).padStart(7)} ${f.min.toFixed(1).padStart(7)} ${f.max.toFixed(1).padStart(7)}\n`);
  }
  const result = { runs: RUNS, pauseMs: PAUSE_MS, node: process.version, loadAvg1: load, providerCreateMs: createMs, ms: figures, warnings: provider.warnings, at: new Date().toISOString() };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'sandbox-start-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
