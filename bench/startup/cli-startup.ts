/**
 * `npm run bench:startup`: how long `dxp --help` and `dxp status <name>` take from process start
 * to exit, the median of N starts each, for the installed form (compiled dist/, no tsx) and the
 * checkout (sources through tsx). Status is read from a completed experiment on a fresh dev
 * server, so it includes connecting and two calls. Prints a table; writes
 * bench/results/startup-latest.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startDevServer } from '../../client/dev-server';
import { startExperiment } from '../../client/experiments';
import { parseSpec } from '../../client/spec-file';
import { workerSettings } from '../../workers/config';
import { createWorker } from '../../workers/create-worker';

const ROOT = join(__dirname, '..', '..');
const RUNS = Number(process.env.DXP_BENCH_STARTS ?? 10);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Wall time of `node <entry> <args>` to its exit, N times; fails loudly on an unexpected exit code. */
function time(entry: string[], args: string[], env: NodeJS.ProcessEnv, expectCode = 0): number[] {
  return Array.from({ length: RUNS }, () => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [...entry, ...args], { env, encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== expectCode) throw new Error(`dxp ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return ms;
  });
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'client', 'cli.js')) || process.env.DXP_BENCH_BUILD !== '0') {
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build failed');
  }
  const dir = mkdtempSync(join(tmpdir(), 'dxp-bench-startup-'));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const server = await startDevServer({ headless: true });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const taskQueue = 'bench-startup';
  const worker = await createWorker({ connection: nativeConnection, namespace: server.namespace, settings: workerSettings({ dataDir: join(dir, 'store'), taskQueue }, {}), env: {} });
  const running = worker.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  try {
    writeFileSync(join(dir, 'rows.jsonl'), '{"id":"a","input":1}\n');
    const spec = parseSpec({ name: 'startup', dataset: { path: join(dir, 'rows.jsonl') }, task: 'echo', taskQueue });
    await (await startExperiment(client, spec, taskQueue)).handle.result();

    const env = { ...process.env, TEMPORAL_ADDRESS: server.address };
    const forms = {
      installed: ['-e', "require(process.argv[1]).main(['node', 'dxp', ...process.argv.slice(2)])", join(ROOT, 'dist', 'client', 'cli.js')],
      checkout: [join(ROOT, 'bin', 'dxp.js')],
    };
    const figures: Record<string, Record<string, number>> = {};
    for (const [form, entry] of Object.entries(forms)) {
      figures[form] = {
        help: median(time(entry, ['--help'], env)),
        status: median(time(entry, ['status', 'startup'], env)),
      };
    }
    const result = { runs: RUNS, node: process.version, loadAvg1: loadavg()[0], medianMs: figures, at: new Date().toISOString() };
    process.stdout.write(`median of ${RUNS} starts, ms (1-min load ${loadavg()[0]!.toFixed(1)}):\n`);
    process.stdout.write(`${'form'.padEnd(10)} ${'--help'.padStart(8)} ${'status'.padStart(8)}\n`);
    for (const [form, f] of Object.entries(figures)) process.stdout.write(`${form.padEnd(10)} ${f.help!.toFixed(0).padStart(8)} ${f.status!.toFixed(0).padStart(8)}\n`);
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'startup-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await connection.close();
    worker.shutdown();
    await running;
    await nativeConnection.close();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
