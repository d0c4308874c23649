/** Command-line options of the scale benchmark. */
import { parseFlags, positiveInt } from '../shared/cli-args';

export type TargetKind = 'dev' | 'cluster';

export interface ScaleOptions {
  /** Example counts, ascending, each run once per target. */
  ns: number[];
  targets: TargetKind[];
  c: number;
}

export const SCALE_USAGE = 'usage: npm run bench:scale -- [--n 10000] (repeatable, or a list: --n 10000,100000) [--target dev|cluster|both] [--c 100]';

/** Accepts `--flag value` and `--flag=value`; exits after printing usage on --help. */
export function parseScaleArgs(argv: string[]): ScaleOptions {
  const ns: number[] = [];
  let target = 'both';
  let c = 100;
  parseFlags(argv, SCALE_USAGE, {
    '--n': (value, flag) => {
      for (const part of value().split(',')) if (part.trim() !== '') ns.push(positiveInt(flag, part.trim()));
    },
    '--target': (value, flag) => {
      target = value();
      if (!['dev', 'cluster', 'both'].includes(target)) throw new Error(`${flag}: expected dev, cluster or both, got '${target}'`);
    },
    '--c': (value, flag) => (c = positiveInt(flag, value())),
  });
  // Checked here so a bad --c fails before a cluster starts, not inside parseSpec.
  if (c > 1000) throw new Error('--c: the experiment spec allows at most 1000');
  return {
    ns: ns.length ? [...new Set(ns)].sort((a, b) => a - b) : [10_000],
    targets: target === 'both' ? ['dev', 'cluster'] : [target as TargetKind],
    c,
  };
}
