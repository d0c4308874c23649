/** Command-line options of the pipeline-vs-pool benchmark. */
import { benchTasks, type BenchTask } from '../shared/bench-tasks';
import { parseFlags, positiveInt, serverDbFlag } from '../shared/cli-args';

export interface Options {
  n: number;
  c: number;
  tasks: BenchTask[];
  /** 'file' (default): a temp SQLite file, as a real local setup; 'memory': the dev server's in-memory SQLite, for comparison. */
  serverDb: 'file' | 'memory';
}

export const USAGE = 'usage: npm run bench -- [--n 1000] [--c 50] [--tasks noop,sleep200,sleep2000] [--server-db file|memory]';

/** Accepts `--flag value` and `--flag=value`; exits after printing usage on --help. */
export function parseArgs(argv: string[]): Options {
  const opts = { n: 1000, c: 50, tasks: 'noop,sleep200', serverDb: 'file' as Options['serverDb'] };
  parseFlags(argv, USAGE, {
    '--n': (value, flag) => (opts.n = positiveInt(flag, value())),
    '--c': (value, flag) => (opts.c = positiveInt(flag, value())),
    '--tasks': (value) => (opts.tasks = value()),
    '--server-db': (value, flag) => (opts.serverDb = serverDbFlag(flag, value())),
  });
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
