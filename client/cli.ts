/** The `dxp` command line: wiring of commands to their modules, and error → exit code. */
import { Command, InvalidArgumentError } from 'commander';
import { CliError, EXIT, withClient } from './cli-context';
import { cancelCommand } from './commands/cancel';
import { demoCommand } from './commands/demo';
import { exportCommand, type ExportOptions } from './commands/export';
import { resultCommand, statusCommand } from './commands/result';
import { checkPlan, runCommand, type RunOptions } from './commands/run';
import { defaultDbFile, serverCommand, type ServerOptions } from './commands/server';
import { logCommand, type LogCommandOptions } from './commands/log';
import { uploadCommand } from './commands/upload';
import { watchCommand } from './commands/watch';
import { workerCommand } from './commands/worker';
import type { WorkerFlags } from '../workers/config';
import { SpecError, loadSpecFile } from './spec-file';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number');
  return n;
}

/** Commands return their exit code; this sets it without cutting pending output short. */
function withExitCode<A extends unknown[]>(fn: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    process.exitCode = await fn(...args);
  };
}

export function buildProgram(): Command {
  const program = new Command('dxp').description('Durable AI-agent experiments on Temporal').showHelpAfterError();

  program
    .command('run <spec>')
    .description('validate a spec (YAML/JSON) and start the experiment, or attach to the one of that name')
    .option('--wait', 'wait for the result; exit non-zero if the experiment fails')
    .option('--watch', 'show live progress, then the result')
    .option('--json', 'print the result as JSON (with --wait/--watch)')
    .option('--task-queue <queue>', 'task queue of the workers (default: spec.taskQueue or dxp-experiments)')
    .option('--tasks <module>', 'check task and evaluator names against this task module before starting')
    .action(
      withExitCode(async (specPath: string, opts: RunOptions) => {
        const spec = loadSpecFile(specPath);
        checkPlan(spec, opts.tasks ?? process.env.DXP_TASKS);
        return withClient((client, config) => runCommand(client, config, spec, opts));
      }),
    );

  program.command('status <experiment>').description('show state and progress').action(withExitCode((id: string) => withClient((c, cfg) => statusCommand(c, cfg, id))));
  program.command('watch <experiment>').description('live progress bar until done, then the result').action(withExitCode((id: string) => withClient((c, cfg) => watchCommand(c, cfg, id))));
  program
    .command('result <experiment>')
    .description('per-evaluator scores and labels, failures with reasons')
    .option('--json', 'machine-readable output')
    .option('--wait', 'wait if still running')
    .action(withExitCode((id: string, opts: { json?: boolean; wait?: boolean }) => withClient((c, cfg) => resultCommand(c, cfg, id, opts))));
  program.command('cancel <experiment>').description('cancel; finished runs are kept').action(withExitCode((id: string) => withClient((c) => cancelCommand(c, id))));

  program
    .command('upload <experiment>')
    .description("send an experiment's stored runs to its Arize experiment again (skips runs already there)")
    .option('--data-dir <dir>', 'local results store (env DXP_DATA_DIR, default .dxp)')
    .action(withExitCode((name: string, opts: { dataDir?: string }) => uploadCommand(name, opts)));

  program
    .command('export <experiment>')
    .description("write an Arize experiment's runs (by id, or by name with --dataset) to a JSONL, CSV or Parquet file")
    .option('--format <format>', 'jsonl, csv or parquet (default: from the extension of --out)')
    .option('--out <file>', 'output file (default: <experiment name>.<format> in the current directory)')
    .option('--dataset <dataset>', 'dataset name or id, to find the experiment by name')
    .option('--space <space>', 'space name or id of a dataset given by name (env ARIZE_SPACE)')
    .action(withExitCode((experiment: string, opts: ExportOptions) => exportCommand(experiment, opts)));

  program
    .command('log <results-file>')
    .description('upload a results table made elsewhere (CSV, JSON, JSONL, Parquet) to an Arize experiment, exactly once')
    .requiredOption('--dataset <name|id>', 'the Arize dataset the runs belong to')
    .option('--space <name|id>', 'its space (default ARIZE_SPACE)')
    .requiredOption('--name <experiment>', 'the Arize experiment to create (or continue)')
    .option('--format <format>', 'csv, json, jsonl or parquet (default: from the extension)')
    .option('--example-id-col <column>', 'column with the Arize example id (default example_id)')
    .option('--match <tableColumn=datasetColumn>', 'rows without example ids: match a dataset column instead')
    .option('--output-col <column>', 'column with the output (default output)')
    .option('--error-col <column>', 'column with the task error, if any')
    .option('--latency-col <column>', 'column with the latency in ms')
    .option('--repetition-col <column>', 'column with the repetition number (several runs per example)')
    .option('--eval <name:score=col,label=col,explanation=col>', 'an evaluator column group (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--task-queue <queue>', 'task queue of the workers')
    .option('--wait', 'wait and print the result')
    .action(withExitCode((file: string, opts: LogCommandOptions) => withClient((c, cfg) => logCommand(c, cfg, file, opts))));

  program
    .command('worker')
    .description('run workflows and activities (graceful shutdown on SIGINT/SIGTERM)')
    .option('--tasks <module>', 'task module (TypeScript or JavaScript) with your tasks and evaluators (env DXP_TASKS)')
    .option('--task-queue <queue>', 'task queue (env DXP_TASK_QUEUE, default dxp-experiments)')
    .option('--data-dir <dir>', 'local results store (env DXP_DATA_DIR, default .dxp)')
    .action(withExitCode((opts: WorkerFlags) => workerCommand(opts)));

  program
    .command('server')
    .description('start the Temporal dev server with its Web UI, persisted under .dxp/')
    .option('--port <port>', 'gRPC port', port, 7233)
    .option('--ui-port <port>', 'Web UI port (default: port + 1000)', port)
    .option('--db-file <file>', 'SQLite state file', defaultDbFile())
    .option('--headless', 'no Web UI')
    .action(withExitCode((opts: ServerOptions) => serverCommand(opts)));

  program
    .command('demo')
    .description('run the bundled demo end to end on local defaults (starts a dev server if none answers)')
    .option('--keep', 'keep the dev server running for the UI after the summary')
    .option('--no-keep', 'stop everything after the summary')
    .option('--agent', 'run the coding-agent demo (examples/agent): offline scripted model unless OPENAI_API_KEY is set')
    .action(withExitCode((opts: { keep?: boolean; agent?: boolean }) => demoCommand(opts)));

  return program;
}

export function main(argv: string[]): void {
  const program = buildProgram();
  program
    .parseAsync(argv)
    .catch((err: unknown) => {
      if (err instanceof SpecError) {
        process.stderr.write(`${err.message}\n`);
        process.exitCode = EXIT.badInput;
      } else if (err instanceof CliError) {
        process.stderr.write(`dxp: ${err.message}\n`);
        process.exitCode = err.exitCode;
      } else {
        process.stderr.write(`dxp: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exitCode = EXIT.failed;
      }
    });
}
