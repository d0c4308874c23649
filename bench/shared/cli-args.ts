/** The benchmarks' command-line parsing: `--flag value` or `--flag=value`, and -h/--help. */

/** Handles one flag; `value()` takes the inline value or the next argument. */
export type FlagHandler = (value: () => string, flag: string) => void;

/** Runs the handler of each flag in `argv`; prints `usage` and exits on -h/--help; throws on an unknown flag. */
export function parseFlags(argv: string[], usage: string, flags: Record<string, FlagHandler>): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '-h' || flag === '--help') {
      console.log(usage);
      process.exit(0);
    }
    // Own keys only: an argument such as 'toString' is unknown, not Object.prototype's.
    const handler = Object.hasOwn(flags, flag) ? flags[flag] : undefined;
    if (!handler) throw new Error(`unknown argument '${arg}' (try --help)`);
    handler(value, flag);
  }
}

export function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got '${text}'`);
  return n;
}

export function nonNegative(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${flag}: expected a number >= 0, got '${text}'`);
  return n;
}

/** --server-db: 'file' (a temp SQLite file, as a real local setup) or 'memory' (the dev server's in-memory SQLite). */
export function serverDbFlag(flag: string, text: string): 'file' | 'memory' {
  if (text !== 'file' && text !== 'memory') throw new Error(`${flag}: expected file or memory, got '${text}'`);
  return text;
}
