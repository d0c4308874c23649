/** bench/results/agent-latest.json: every figure of the agent-loop run, with the settings and formulas needed to read them. */
import type { AgentOptions } from './agent-args';
import { MODEL_USAGE } from './agent-model';
import { overheadPerTurn } from './agent-report';
import type { ScenarioResult } from './agent-scenario';
import { machineFields, runFields, writeResultsJson } from '../shared/results-json';

/** Writes the file (overwriting the previous run's) and returns its path. */
export function writeAgentResults(opts: AgentOptions, startRss: number, totalSeconds: number, scenarios: ScenarioResult[]): string {
  return writeResultsJson('agent-latest.json', {
    ...machineFields(),
    options: opts,
    modelUsagePerAnswer: MODEL_USAGE,
    ...runFields(startRss, totalSeconds),
    formulas: {
      overheadPerTurnMs: '(pipeline wallMs - baseline wallMs) * concurrency / n / turns (floor: the same with its wallMs)',
      floor: 'the least SDK agent loop (bench/floor/agent-workflow.ts): one workflow per example, an activity per model turn and per tool call, one task queue; steady scenario only',
      overheadPerTurnFromLatencyMs: '(pipeline mean latency - baseline mean latency) / turns',
      latency: 'pipeline: RunRecord.durationMs; baseline: around each conversation',
      historyEventsPerExample: 'mean historyLength of the example workflows (visibility)',
      historyBytesPerExample: 'mean historySize (visibility), else describe().historySizeBytes of the sampled workflows',
      rss: 'bench process RSS (in-process worker and loopback model), sampled every 200 ms',
      needed: 'modelRequests = n * turns; toolExecutions = n * (turns - 1)',
    },
    scenarios: scenarios.map((s) => ({ ...s, overheadPerTurn: overheadPerTurn(s), ...(s.floor ? { floorOverheadPerTurn: overheadPerTurn(s, 'floor') } : {}) })),
  });
}
