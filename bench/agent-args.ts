/** Command-line options of the agent-loop benchmark. */

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
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--n':
        opts.n = positiveInt(flag, value());
        break;
      case '--c':
        opts.c = positiveInt(flag, value());
        break;
      case '--turns':
        opts.turns = positiveInt(flag, value());
        break;
      case '--latency-ms':
        opts.latencyMs = nonNegative(flag, value());
        break;
      case '--storm':
        opts.storm = true;
        break;
      case '--no-storm':
        opts.storm = false;
        break;
      case '--storm-n':
        opts.stormN = positiveInt(flag, value());
        break;
      case '--storm-rate': {
        const rate = nonNegative(flag, value());
        // At 1 every attempt is refused: the pipeline would only wait out its retries.
        if (rate >= 1) throw new Error(`${flag}: expected a share below 1, got ${rate}`);
        opts.stormRate = rate;
        break;
      }
      case '--retry-after-s':
        opts.retryAfterS = nonNegative(flag, value());
        break;
      case '--server-db': {
        const v = value();
        if (v !== 'file' && v !== 'memory') throw new Error(`--server-db: expected file or memory, got '${v}'`);
        opts.serverDb = v;
        break;
      }
      case '-h':
      case '--help':
        console.log(AGENT_USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument '${arg}' (try --help)`);
    }
  }
  // Checked here so a bad value fails before the server starts, not inside parseSpec.
  if (opts.c > 1000) throw new Error('--c: the experiment spec allows at most 1000');
  if (opts.turns > 500) throw new Error('--turns: the experiment spec allows at most 500 turns');
  return opts;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got '${text}'`);
  return n;
}

function nonNegative(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${flag}: expected a number >= 0, got '${text}'`);
  return n;
}
