/** bench/results/agent-latest.json: every figure of the agent-loop run, with the settings and formulas needed to read them. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { AgentOptions } from './agent-args';
import { MODEL_USAGE } from './agent-model';
import { overheadPerTurn } from './agent-report';
import type { ScenarioResult } from './agent-scenario';
import { mb } from './process-stats';

/** Writes the file (overwriting the previous run's) and returns its path. */
export function writeAgentResults(opts: AgentOptions, startRss: number, totalSeconds: number, scenarios: ScenarioResult[]): string {
  const outDir = resolve(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, 'agent-latest.json');
  writeFileSync(
    outFile,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpus: cpus().length,
        totalMemMb: mb(totalmem()),
        options: opts,
        modelUsagePerAnswer: MODEL_USAGE,
        startRssMb: mb(startRss),
        loadAvg1AtStart: loadavg()[0],
        totalSeconds,
        formulas: {
          overheadPerTurnMs: '(pipeline wallMs - baseline wallMs) * concurrency / n / turns',
          overheadPerTurnFromLatencyMs: '(pipeline mean latency - baseline mean latency) / turns',
          latency: 'pipeline: RunRecord.durationMs; baseline: around each conversation',
          historyEventsPerExample: 'mean historyLength of the example workflows (visibility)',
          historyBytesPerExample: 'mean historySize (visibility), else describe().historySizeBytes of the sampled workflows',
          rss: 'bench process RSS (in-process worker and loopback model), sampled every 200 ms',
          needed: 'modelRequests = n * turns; toolExecutions = n * (turns - 1)',
        },
        scenarios: scenarios.map((s) => ({ ...s, overheadPerTurn: overheadPerTurn(s) })),
      },
      null,
      2,
    ) + '\n',
  );
  return outFile;
}
