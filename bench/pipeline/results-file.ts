/** bench/results/latest.json: every figure of the run, with the settings and formulas needed to read them. */
import type { Options } from './args';
import type { BenchTask } from '../shared/bench-tasks';
import type { RunnerResult } from '../shared/figures';
import { machineFields, runFields, writeResultsJson } from '../shared/results-json';

export interface ResultsFileInput {
  opts: Options;
  startRss: number;
  totalSeconds: number;
  byTask: { task: BenchTask; results: RunnerResult[] }[];
}

/** Writes the file (overwriting the previous run's) and returns its path. */
export function writeResultsFile({ opts, startRss, totalSeconds, byTask }: ResultsFileInput): string {
  return writeResultsJson('latest.json', {
    ...machineFields(),
    n: opts.n,
    concurrency: opts.c,
    serverDb: opts.serverDb,
    ...runFields(startRss, totalSeconds),
    formulas: {
      overheadPerExampleMs: 'wallMs * concurrency / n - task.ownMs',
      latency: 'pipeline: RunRecord.durationMs; pool: around each call',
      rss: 'bench process RSS (in-process worker), sampled every 200 ms',
      parentEventsPerExample: 'sum of history events over every run of the experiment continue-as-new chain / n',
      childEventsPerExample: 'sum of example workflows historyLength (visibility) / n',
    },
    tasks: byTask.map(({ task, results }) => ({ task: task.key, registeredAs: task.task, ownMs: task.ownMs, results })),
  });
}
