/**
 * `npm run bench` and `npm run bench:agent` print their figures as ratios to their floors (issue
 * 11's "done when"), and `npm run bench:sweep` runs every worker setting: small runs, on their own
 * dev servers, with the results files written to a temporary folder (DXP_BENCH_RESULTS_DIR) so
 * the committed figures stay.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './helpers/temporal';

const run = promisify(execFile);
const root = join(__dirname, '..');
const NUMBER = String.raw`[\d.]+`;

async function bench(script: string, args: string[], resultsDir: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['-r', 'tsx/cjs', join(root, 'bench', script), ...args], {
    cwd: root,
    env: { ...process.env, DXP_BENCH_RESULTS_DIR: resultsDir },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

test('npm run bench prints the pipeline against its floor: pace, CPU and events as ratios', async () => {
  const dir = tempDir('dxp-bench-');
  const out = await bench('pipeline/pipeline-vs-pool.ts', ['--n', '20', '--c', '5', '--tasks', 'noop'], dir);
  const ratio = (a: string) => `${a} ${NUMBER} / ${NUMBER} = ${NUMBER}`;
  expect(out).toMatch(new RegExp(`vs floor: ${ratio('examples/s')}; CPU ms/ex ${ratio('server')}, ${ratio('worker')}, ${ratio('both')}; ${ratio('events/ex')}; 1-min load`));
  const results = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { tasks: { results: { runner: string; examples: number; failed: number }[] }[] };
  expect(results.tasks[0]?.results.map((r) => [r.runner, r.examples, r.failed])).toEqual([
    ['pipeline', 20, 0],
    ['floor', 20, 0],
    ['pool', 20, 0],
  ]);
}, 300_000);

test('npm run bench:agent prints the agent loop against its floor: overhead per turn, events and CPU as ratios', async () => {
  const dir = tempDir('dxp-bench-');
  const out = await bench('agent/agent-bench.ts', ['--n', '6', '--c', '3', '--turns', '2', '--latency-ms', '20', '--no-storm'], dir);
  expect(out).toMatch(new RegExp(`vs floor: overhead ms/turn ${NUMBER} / ${NUMBER} = ${NUMBER}; history ev/ex ${NUMBER} / ${NUMBER} = ${NUMBER}; CPU ms/turn`));
  expect(readFileSync(join(dir, 'agent-latest.json'), 'utf8')).toContain('"floor"');
}, 300_000);

test('npm run bench:sweep runs the experiment once per worker setting and writes each', async () => {
  const dir = tempDir('dxp-bench-');
  const out = await bench('pipeline/sweep.ts', ['--n', '10', '--c', '5'], dir);
  expect(out).toMatch(/^defaults\s+[\d.]+\s+\d+/m);
  expect(out).toMatch(/^wft-8\s+[\d.]+\s+\d+/m);
  const results = JSON.parse(readFileSync(join(dir, 'sweep-latest.json'), 'utf8')) as { runs: { label: string; result: { examples: number; failed: number } }[] };
  expect(results.runs.map((r) => r.label)).toEqual(['defaults', 'cache-50', 'cache-200', 'cache-1000', 'wft-8', 'wft-100', 'act-50', 'act-200']);
  expect(results.runs.every((r) => r.result.examples === 10 && r.result.failed === 0)).toBe(true);
}, 600_000);
