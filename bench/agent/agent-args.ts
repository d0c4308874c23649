/** Command-line options of the agent-loop benchmark. */
import { nonNegative, parseFlags, positiveInt, serverDbFlag } from '../shared/cli-args';

export interface AgentOptions {
  /** Examples of the main scenario. */
  n: number;
  /** Examples in flight at once, in the pipeline (the spec's concurrency) and in the baseline loop. */
  c: number;
  /** Model turns per example: turns - 1 tool turns, then the final answer. */
  turns: number;
  /** The loopback model's fixed answer time, in ms. */
  latencyMs: number;
  /** The 429-storm scenario: on by default, with fewer examples. */
  storm: boolean;
  stormN: number;
  /** Share of model requests answered 429 with Retry-After in the storm. */
  stormRate: number;
  /** Seconds of the storm's Retry-After header. */
  retryAfterS: number;
  /** 'file' (default): a temp SQLite file, as a real local setup; 'memory': the dev server's in-memory SQLite. */
  serverDb: 'file' | 'memory';
}

export const AGENT_USAGE =
  'usage: npm run bench:agent -- [--n 50] [--c 10] [--turns 5] [--latency-ms 200] [--storm|--no-storm] [--storm-n 20] [--storm-rate 0.3] ' +
  '[--retry-after-s 1] [--server-db file|memory]';

/** Accepts `--flag value` and `--flag=value`; exits after printing usage on --help. */
export function parseAgentArgs(argv: string[]): AgentOptions {
  const opts: AgentOptions = { n: 50, c: 10, turns: 5, latencyMs: 200, storm: true, stormN: 20, stormRate: 0.3, retryAfterS: 1, serverDb: 'file' };
  parseFlags(argv, AGENT_USAGE, {
    '--n': (value, flag) => (opts.n = positiveInt(flag, value())),
    '--c': (value, flag) => (opts.c = positiveInt(flag, value())),
    '--turns': (value, flag) => (opts.turns = positiveInt(flag, value())),
    '--latency-ms': (value, flag) => (opts.latencyMs = nonNegative(flag, value())),
    '--storm': () => (opts.storm = true),
    '--no-storm': () => (opts.storm = false),
    '--storm-n': (value, flag) => (opts.stormN = positiveInt(flag, value())),
    '--storm-rate': (value, flag) => {
      const rate = nonNegative(flag, value());
      // At 1 every attempt is refused: the pipeline would only wait out its retries.
      if (rate >= 1) throw new Error(`${flag}: expected a share below 1, got ${rate}`);
      opts.stormRate = rate;
    },
    '--retry-after-s': (value, flag) => (opts.retryAfterS = nonNegative(flag, value())),
    '--server-db': (value, flag) => (opts.serverDb = serverDbFlag(flag, value())),
  });
  // Checked here so a bad value fails before the server starts, not inside parseSpec.
  if (opts.c > 1000) throw new Error('--c: the experiment spec allows at most 1000');
  if (opts.turns > 500) throw new Error('--turns: the experiment spec allows at most 500 turns');
  return opts;
}
