/**
 * Benchmark: the durable agent loop (an example workflow per example, each model turn and tool
 * call its own activity, on a fresh Temporal dev server with an in-process worker) against the
 * same conversations through its floor (the least SDK loop: one workflow, an activity per model turn
 * and per tool call) and as a plain in-process loop calling the same model client and tools, at the
 * same concurrency, both against a loopback model with a fixed latency and usage. Then a 429
 * storm: what each runner finishes, and what it pays for.
 *
 *   npm run bench:agent -- [--n 50] [--c 10] [--turns 5] [--latency-ms 200] [--no-storm] [--storm-n 20] [--storm-rate 0.3]
 *
 * Prints the tables and writes every figure to bench/results/agent-latest.json.
 * This file only runs the scenarios; each step lives in its own module next to it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { parseAgentArgs } from './agent-args';
import { agentHeader, AGENT_FORMULAS, steadyReport, stormReport } from './agent-report';
import { writeAgentResults } from './agent-results-file';
import { runScenario, type ScenarioResult } from './agent-scenario';
import { bundleWorkflows, finishBench, runMain } from '../shared/bench-main';

async function main(): Promise<void> {
  const startRss = process.memoryUsage().rss;
  const opts = parseAgentArgs(process.argv.slice(2));
  // ERROR: the storm's 429s are expected, and each would log a failed activity attempt.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const workDir = mkdtempSync(join(tmpdir(), 'dxp-bench-agent-'));
  const benchStart = performance.now();
  console.log(agentHeader(opts, startRss, workDir));

  const bundles = { workflows: await bundleWorkflows(), floor: await bundleWorkflows(require.resolve('../floor/workflows'), 'floor workflow bundle') };

  const scenarios: ScenarioResult[] = [];
  scenarios.push(await runScenario({ label: 'steady', n: opts.n, rate429: 0 }, opts, workDir, bundles));
  if (opts.storm) scenarios.push(await runScenario({ label: 'storm', n: opts.stormN, rate429: opts.stormRate }, opts, workDir, bundles));

  for (const s of scenarios) console.log(s.rate429 > 0 ? stormReport(s, opts) : steadyReport(s));
  console.log(AGENT_FORMULAS);
  finishBench(benchStart, workDir, (totalSeconds) => writeAgentResults(opts, startRss, totalSeconds, scenarios));
}

runMain(main);
