/** Command-line options of the pipeline-vs-pool benchmark. */
import { benchTasks, type BenchTask } from './bench-tasks';

export interface Options {
  n: number;
  c: number;
  tasks: BenchTask[];
  /** 'file' (default): a temp SQLite file, as a real local setup; 'memory': the dev server's in-memory SQLite, for comparison. */
  serverDb: 'file' | 'memory';
}

export const USAGE = 'usage: npm run bench -- [--n 1000] [--c 50] [--tasks noop,sleep200] [--server-db file|memory]';

/** Accepts `--flag value` and `--flag=value`; exits after printing usage on --help. */
export function parseArgs(argv: string[]): Options {
  const opts = { n: 1000, c: 50, tasks: 'noop,sleep200', serverDb: 'file' as Options['serverDb'] };
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
      case '--tasks':
        opts.tasks = value();
        break;
      case '--server-db': {
        const v = value();
        if (v !== 'file' && v !== 'memory') throw new Error(`--server-db: expected file or memory, got '${v}'`);
        opts.serverDb = v;
        break;
      }
      case '-h':
      case '--help':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument '${arg}' (try --help)`);
    }
  }
  const tasks = opts.tasks
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((key) => {
      const task = benchTasks[key];
      if (!task) throw new Error(`--tasks: unknown task '${key}'; known: ${Object.keys(benchTasks).join(', ')}`);
      return task;
    });
  if (tasks.length === 0) throw new Error('--tasks: give at least one task');
  // Checked here so a bad --c fails before minutes of server start-up, not inside parseSpec.
  if (opts.c > 1000) throw new Error('--c: the experiment spec allows at most 1000');
  return { n: opts.n, c: opts.c, tasks, serverDb: opts.serverDb };
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got '${text}'`);
  return n;
}
