/** bench/results/*.json: what every results file starts with, and how it is written. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { mb } from './process-stats';

/** The machine the figures come from. */
export function machineFields(): { date: string; node: string; cpus: number; totalMemMb: number } {
  return { date: new Date().toISOString(), node: process.version, cpus: cpus().length, totalMemMb: mb(totalmem()) };
}

/** The bench process at its start, and the run's length. */
export function runFields(startRss: number, totalSeconds: number): { startRssMb: number; loadAvg1AtStart: number | undefined; totalSeconds: number } {
  return { startRssMb: mb(startRss), loadAvg1AtStart: loadavg()[0], totalSeconds };
}

/**
 * Writes bench/results/<fileName> (overwriting the previous run's) and returns its path;
 * `DXP_BENCH_RESULTS_DIR` writes it elsewhere (the tests' small runs leave the committed figures alone).
 */
export function writeResultsJson(fileName: string, content: object): string {
  const outDir = resolve(process.env.DXP_BENCH_RESULTS_DIR ?? join(__dirname, '..', 'results'));
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, fileName);
  writeFileSync(outFile, JSON.stringify(content, null, 2) + '\n');
  return outFile;
}
