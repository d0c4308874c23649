/**
 * `node -r tsx/cjs bench/startup/sandbox-files.ts`: the cost of the sandbox's host-side file API per call,
 * the median of N calls each (DXP_BENCH_CALLS, default 20), for each provider that works here:
 * `writeFile` and `readFile` of a small file, and `run(['true'], { files })` with three small files
 * against a bare `run(['true'])`. Prints the figures with the load average; writes
 * bench/results/sandbox-files-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSandboxProvider, withSandbox, type SandboxProvider } from '../../activities/sandbox';

const CALLS = Number(process.env.DXP_BENCH_CALLS ?? 20);
const SMALL = 'print("hello from a small file")\n'.repeat(8);
const FILES = { 'job/main.py': SMALL, 'job/data.txt': SMALL, 'job/conf/settings.json': '{"n": 1}\n' };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up, not counted
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return Math.round(median(times) * 10) / 10;
}

async function measure(provider: SandboxProvider): Promise<Record<string, number>> {
  return withSandbox(provider, async (sandbox) => {
    await sandbox.writeFile('small.txt', SMALL);
    const writeFile = await timed(() => sandbox.writeFile('small.txt', SMALL));
    const readFile = await timed(() => sandbox.readFile('small.txt'));
    const runTrue = await timed(() => sandbox.run(['true']));
    const runWithFiles = await timed(() => sandbox.run(['true'], { files: FILES }));
    return { writeFile, readFile, runTrue, runWithFiles };
  });
}

async function main(): Promise<void> {
  const load = loadavg().map((l) => Math.round(l * 100) / 100);
  const results: Record<string, Record<string, number>> = {};
  const bubblewrap = await createSandboxProvider({ prefer: 'bubblewrap' });
  if (bubblewrap.isolation === 'bubblewrap') results.bubblewrap = await measure(bubblewrap);
  results.weak = await measure(await createSandboxProvider({ prefer: 'weak' }));
  const loadAfter = loadavg().map((l) => Math.round(l * 100) / 100);

  console.log(`median of ${CALLS} calls, ms; load average ${load.join(' ')} before, ${loadAfter.join(' ')} after`);
  console.log('provider     writeFile  readFile  run(true)  run(true, 3 files)');
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(12)} ${String(r.writeFile).padStart(9)} ${String(r.readFile).padStart(9)} ${String(r.runTrue).padStart(10)} ${String(r.runWithFiles).padStart(19)}`,
    );
  }
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'sandbox-files-latest.json'),
    `${JSON.stringify({ at: new Date().toISOString(), calls: CALLS, loadavg: { before: load, after: loadAfter }, medianMs: results }, null, 2)}\n`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
