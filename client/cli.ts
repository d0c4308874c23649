/**
 * The `dxp` command line: wiring of commands to their modules, and error → exit code.
 * Each command's module is loaded when that command runs, so `dxp --help` does not pay for the
 * Temporal client, the worker, webpack or the dataset readers (see cli-actions.ts). Option values
 * are parsed and checked in cli-arguments.ts.
 */
import { Command, CommanderError, Option } from 'commander';
import { connected, load, withExitCode } from './cli-actions';
import { collect, collectOrigin, httpUrl, port, positiveInt } from './cli-arguments';
import { CliError, EXIT } from './exit-codes';
import { oneLineError } from './errors';
import { packageVersion } from './version';

export function buildProgram(): Command {
  const program = new Command('dxp')
    .description('Durable AI-agent experiments on Temporal')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(add --help for usage)')
    // Usage errors exit 2 (bad input), help and --version 0; see main().
    .exitOverride();

  program
    .command('run <spec>')
    .description('validate a spec (YAML/JSON, or a defineExperiment module) and start the experiment, or attach to the one of that name')
    .option('--wait', 'wait for the result; exit non-zero if the experiment fails')
    .option('--watch', 'show live progress, then the result')
    .option('--json', 'print the result as JSON (with --wait/--watch)')
    .option('--task-queue <queue>', 'task queue of the workers (default: spec.taskQueue or dxp-experiments)')
    .option('--tasks <module>', 'check task and evaluator names against this task module before starting (default: the spec, when it is a module)')
    .option('--fail-under <evaluator=min>', 'CI gate: exit 1 unless the evaluator\'s mean score is at least min (repeatable; implies --wait)', collect)
    .option('--max-failures <n>', 'CI gate: exit 1 if more than n runs fail (implies --wait)')
    .option('--junit <file>', 'write a JUnit XML report: a test case per example for the task and for each evaluator (implies --wait)')
    .option('--summary <file>', 'append a Markdown summary, e.g. to "$GITHUB_STEP_SUMMARY" (implies --wait)')
    .action(
      withExitCode(async (specPath: string, opts: import('./commands/run').RunOptions & import('./gates/apply').GateOptions) => {
        const { isModuleFile, loadSpecFile } = load<typeof import('./spec-file')>('./spec-file');
        const { checkPlan, runCommand } = load<typeof import('./commands/run')>('./commands/run');
        const spec = loadSpecFile(specPath);
        checkPlan(spec, opts.tasks ?? (isModuleFile(specPath) ? specPath : process.env.DXP_TASKS));
        const { gateRequest } = load<typeof import('./gates/apply')>('./gates/apply');
        const { evaluatorColumn } = load<typeof import('../core/spec')>('../core/spec');
        const gates = gateRequest(opts, spec.evaluators.map(evaluatorColumn));
        const { startCliTracing } = load<typeof import('./cli-tracing')>('./cli-tracing');
        const tracing = startCliTracing();
        try {
          return await connected((client, config) => runCommand(client, config, spec, { ...opts, ...(gates ? { gates } : {}) }));
        } finally {
          await tracing?.release(); // the start's span, sent before the process ends
        }
      }),
    );

  program
    .command('status <experiment>')
    .description('state, counts, rate and ETA')
    .option('--json', 'machine-readable output')
    .action(
      withExitCode(async (id: string, opts: { json?: boolean }) => {
        const { statusCommand } = load<typeof import('./commands/status')>('./commands/status');
        return connected((c, cfg) => statusCommand(c, cfg, id, opts));
      }),
    );
  program
    .command('watch <experiment>')
    .description('live progress until done, then the result')
    .action(
      withExitCode(async (id: string) => {
        const { watchCommand } = load<typeof import('./commands/watch')>('./commands/watch');
        return connected((c, cfg) => watchCommand(c, cfg, id));
      }),
    );
  program
    .command('result <experiment>')
    .description('per-evaluator scores and labels, failures with reasons')
    .option('--json', 'machine-readable output')
    .option('--wait', 'wait if still running')
    .option('--runs', 'also a table of every run (example, repetition, status, evaluator scores)')
    .option('--fail-under <evaluator=min>', 'CI gate: exit 1 unless the evaluator\'s mean score is at least min (repeatable; waits)', collect)
    .option('--max-failures <n>', 'CI gate: exit 1 if more than n runs failed (waits)')
    .option('--junit <file>', 'write a JUnit XML report (waits)')
    .option('--summary <file>', 'append a Markdown summary (waits)')
    .action(
      withExitCode(async (id: string, opts: { json?: boolean; wait?: boolean; runs?: boolean } & import('./gates/apply').GateOptions) => {
        const { resultCommand } = load<typeof import('./commands/result')>('./commands/result');
        const { gateRequest } = load<typeof import('./gates/apply')>('./gates/apply');
        // The evaluators' names are checked against the summary, once it is known.
        const gates = gateRequest(opts);
        return connected((c, cfg) => resultCommand(c, cfg, id, { ...opts, ...(gates ? { gates } : {}) }));
      }),
    );
  program
    .command('list')
    .description('experiments on this server: name, status, progress, started')
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'at most this many, newest first', (v) => positiveInt(v), 50)
    .action(
      withExitCode(async (opts: { json?: boolean; limit: number }) => {
        const { listCommand } = load<typeof import('./commands/list')>('./commands/list');
        return connected((c, cfg) => listCommand(c, cfg, opts));
      }),
    );
  program
    .command('cancel <experiment>')
    .description('cancel; finished runs are kept')
    .action(
      withExitCode(async (id: string) => {
        const { cancelCommand } = load<typeof import('./commands/cancel')>('./commands/cancel');
        return connected((c) => cancelCommand(c, id));
      }),
    );

  program
    .command('pause <experiment>')
    .description('stop starting new examples; those in flight finish (resume with `dxp resume`)')
    .option('--reason <text>', 'why, shown in the Temporal UI and `dxp status`')
    .action(
      withExitCode(async (id: string, opts: { reason?: string }) => {
        const { pauseCommand } = load<typeof import('./commands/pause')>('./commands/pause');
        return connected((c) => pauseCommand(c, id, opts));
      }),
    );
  program
    .command('resume <experiment>')
    .description('start examples again after `dxp pause`, or after a budget limit paused it')
    .option('--raise-budget <limits>', 'new limits, e.g. tokens=200000,costUsd=5,maxFailures=20 (each replaces the spec\'s)')
    .action(
      withExitCode(async (id: string, opts: { raiseBudget?: string }) => {
        const { resumeCommand } = load<typeof import('./commands/pause')>('./commands/pause');
        return connected((c) => resumeCommand(c, id, opts));
      }),
    );
  program
    .command('upload <experiment>')
    .description("send an experiment's stored runs to its Arize experiment again (skips runs already there)")
    .option('--data-dir <dir>', 'local results store, when DXP_RESULTS_URL is unset (env DXP_DATA_DIR, default .dxp)')
    .action(
      withExitCode(async (name: string, opts: { dataDir?: string }) => {
        const { uploadCommand } = load<typeof import('./commands/upload')>('./commands/upload');
        return uploadCommand(name, opts);
      }),
    );

  program
    .command('export <experiment>')
    .description("write an experiment's runs to a JSONL, CSV or Parquet file: from the results store, or an Arize experiment (by id, or by name with --dataset)")
    .option('--format <format>', 'jsonl, csv or parquet (default: from the extension of --out)')
    .option('--out <file>', 'output file (default: <experiment name>.<format> in the current directory)')
    .option('--dataset <dataset>', 'dataset name or id, to find the experiment by name')
    .option('--space <space>', 'space name or id of a dataset given by name (env ARIZE_SPACE)')
    .option('--data-dir <dir>', 'local results store, when DXP_RESULTS_URL is unset (env DXP_DATA_DIR, default .dxp)')
    .action(
      withExitCode(async (experiment: string, opts: import('./commands/export').ExportOptions) => {
        const { exportCommand } = load<typeof import('./commands/export')>('./commands/export');
        return exportCommand(experiment, opts);
      }),
    );

  program
    .command('compare <a> <b>')
    .description('compare two experiments (results store names, or Phoenix experiment ids): per evaluator b − a with a paired bootstrap 95% CI, flips, new task failures, latency, cost')
    .option('--json', 'machine-readable output')
    .option('--pass-threshold <score>', "an example passes an evaluator when its score (mean over repetitions) is at least this (default 1)")
    .option('--fail-on-regression', "exit 1 when an evaluator's CI of b − a lies wholly below 0, or b has new task failures")
    .option('--resamples <n>', 'bootstrap resamples (default 2000)')
    .option('--seed <n>', 'seed of the bootstrap (default 1: the same runs always give the same interval)')
    .option('--data-dir <dir>', 'local results store, when DXP_RESULTS_URL is unset (env DXP_DATA_DIR, default .dxp)')
    .action(
      withExitCode(async (a: string, b: string, opts: import('./commands/compare').CompareCommandOptions) => {
        const { compareCommand } = load<typeof import('./commands/compare')>('./commands/compare');
        return compareCommand(a, b, opts);
      }),
    );

  program
    .command('report <experiment>')
    .description('write a self-contained HTML report of an experiment (a results store name or a Phoenix experiment id; with --vs: compared with another)')
    .option('--vs <other>', 'compare with this experiment (histograms side by side, flips)')
    .option('--out <file>', 'output file (default: <experiment>-report.html)')
    .option('--pass-threshold <score>', 'pass threshold for flips (default 1)')
    .option('--data-dir <dir>', 'local results store, when DXP_RESULTS_URL is unset (env DXP_DATA_DIR, default .dxp)')
    .action(
      withExitCode(async (name: string, opts: import('./commands/report').ReportCommandOptions) => {
        const { reportCommand } = load<typeof import('./commands/report')>('./commands/report');
        return reportCommand(name, opts);
      }),
    );

  program
    .command('log <results-file>')
    .description('upload a results table made elsewhere (CSV, JSON, JSONL, Parquet) to an Arize (or Phoenix) experiment, exactly once')
    .requiredOption('--dataset <name|id>', 'the Arize (with --phoenix: Phoenix) dataset the runs belong to')
    .option('--space <name|id>', 'its space (default ARIZE_SPACE)')
    .option('--phoenix', 'the dataset is a Phoenix dataset (PHOENIX_BASE_URL), the experiment a Phoenix one')
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
    .action(
      withExitCode(async (file: string, opts: import('./commands/log').LogCommandOptions) => {
        const { logCommand } = load<typeof import('./commands/log')>('./commands/log');
        return connected((c, cfg) => logCommand(c, cfg, file, opts));
      }),
    );

  program
    .command('worker')
    .description('run workflows and activities (graceful shutdown on SIGINT/SIGTERM)')
    .option('--tasks <module>', 'task module (TypeScript or JavaScript) with your tasks and evaluators (env DXP_TASKS)')
    .option('--task-queue <queue>', 'task queue (env DXP_TASK_QUEUE, default dxp-experiments)')
    .option('--data-dir <dir>', 'local results store (env DXP_DATA_DIR, default .dxp)')
    .action(
      withExitCode(async (opts: import('../workers/config').WorkerFlags) => {
        const { workerCommand } = load<typeof import('./commands/worker')>('./commands/worker');
        return workerCommand(opts);
      }),
    );

  const server = program
    .command('server')
    .description('start the Temporal dev server with its Web UI, persisted under .dxp/ (`dxp server setup`: prepare a server you run yourself)')
    .option('--port <port>', 'gRPC port', port, 7233)
    .option('--ui-port <port>', 'Web UI port (default: port + 1000)', port)
    .addOption(new Option('--db-file <file>', 'SQLite state file (default: .dxp/temporal.db, under DXP_DATA_DIR)'))
    .option('--headless', 'no Web UI')
    .option('--ui-codec-endpoint <url>', 'the Web UI decodes payloads through this codec server (`dxp codec-server`)', httpUrl)
    .action(
      withExitCode(async (opts: Omit<import('./commands/server').ServerOptions, 'dbFile'> & { dbFile?: string }) => {
        // Headless, the endpoint would be dropped without a word: say so instead.
        if (opts.headless && opts.uiCodecEndpoint) throw new CliError('--ui-codec-endpoint needs the Web UI: drop --headless', EXIT.badInput);
        const { defaultDbFile, serverCommand } = load<typeof import('./commands/server')>('./commands/server');
        return serverCommand({ ...opts, dbFile: opts.dbFile ?? defaultDbFile() });
      }),
    );
  server
    .command('setup')
    .description("register this project's search attributes on the server at TEMPORAL_ADDRESS (operator API; idempotent)")
    .action(
      withExitCode(async () => {
        const { serverSetupCommand } = load<typeof import('./commands/server-setup')>('./commands/server-setup');
        return connected((c, cfg) => serverSetupCommand(c, cfg));
      }),
    );

  program
    .command('codec-server')
    .description('decrypt payloads for the Temporal UI and CLI (keys: DXP_CODEC_KEYS or DXP_CODEC_KEY_FILE; token: DXP_CODEC_SERVER_TOKEN)')
    .option('--port <port>', 'port to listen on', port, 8888)
    .option('--host <host>', 'address to listen on (other than loopback only with DXP_CODEC_SERVER_TOKEN)', '127.0.0.1')
    .option('--origin <url>', 'a browser origin allowed to call it (repeatable; default http://localhost:8233 and http://127.0.0.1:8233)', collectOrigin)
    .action(
      withExitCode(async (opts: import('./commands/codec-server').CodecServerCommandOptions) => {
        const { codecServerCommand } = load<typeof import('./commands/codec-server')>('./commands/codec-server');
        return codecServerCommand(opts);
      }),
    );

  program
    .command('demo')
    .description('run the bundled demo end to end on local defaults (starts a dev server if none answers)')
    .option('--keep', 'keep the dev server running for the UI after the summary')
    .option('--no-keep', 'stop everything after the summary')
    .option('--agent', 'run the coding-agent demo (examples/agent): offline scripted model unless OPENAI_API_KEY is set')
    .action(
      withExitCode(async (opts: { keep?: boolean; agent?: boolean }) => {
        const { demoCommand } = load<typeof import('./commands/demo')>('./commands/demo');
        return demoCommand(opts);
      }),
    );

  return program;
}

export function main(argv: string[]): void {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp({ error: true });
    process.exitCode = EXIT.badInput;
    return;
  }
  program
    .parseAsync(argv)
    .catch((err: unknown) => {
      if (err instanceof CommanderError) {
        // Commander has printed the message (or the help/version) already.
        process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
        return;
      }
      if (err instanceof CliError) {
        process.stderr.write(`dxp: ${err.message}\n`);
        process.exitCode = err.exitCode;
        return;
      }
      const { message, exitCode } = oneLineError(err);
      process.stderr.write(`${message}\n`);
      if (process.env.DXP_DEBUG === '1' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
      process.exitCode = exitCode;
    });
}
