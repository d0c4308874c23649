/**
 * `dxp compare <a> <b>`: two experiments side by side (see client/compare/), from the results store
 * or, by id, from Phoenix:
 * per evaluator the means, b − a and its paired bootstrap interval, flips, new and fixed task
 * failures, latency and cost. With --fail-on-regression it is a CI gate: exit 1 when an
 * evaluator's interval lies wholly below 0 or b has new task failures.
 */
import { compareExperiments } from '../compare/compare';
import { formatComparison } from '../compare/format';
import { CliError, EXIT } from '../exit-codes';
import { readExperiments } from '../experiment-runs';

export interface CompareCommandOptions {
  json?: boolean;
  passThreshold?: string;
  failOnRegression?: boolean;
  resamples?: string;
  seed?: string;
  dataDir?: string;
}

export async function compareCommand(a: string, b: string, opts: CompareCommandOptions): Promise<number> {
  const passThreshold = numberOption('--pass-threshold', opts.passThreshold, Number.isFinite);
  const resamples = numberOption('--resamples', opts.resamples, (n) => Number.isInteger(n) && n >= 1 && n <= 1_000_000);
  const seed = numberOption('--seed', opts.seed, (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32);
  const [sideA, sideB] = await readExperiments([a, b], opts.dataDir);
  const comparison = compareExperiments(
    sideA!,
    sideB!,
    { ...(passThreshold !== undefined ? { passThreshold } : {}), ...(resamples !== undefined ? { resamples } : {}), ...(seed !== undefined ? { seed } : {}) },
  );
  process.stdout.write(opts.json ? `${JSON.stringify(comparison, null, 2)}\n` : `${formatComparison(comparison)}\n`);
  return opts.failOnRegression && comparison.regression.found ? EXIT.failed : EXIT.ok;
}

function numberOption(flag: string, value: string | undefined, valid: (n: number) => boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !valid(n)) throw new CliError(`${flag}: '${value}' is not a valid value`, EXIT.badInput);
  return n;
}
