/**
 * One scenario of the agent-loop benchmark: the same N conversations through the pipeline, its
 * floor (steady scenario only) and the plain loop, each against its own fresh loopback model (so its counts are its own),
 * with the model requests and tool executions each runner caused.
 */
import { createModelClient } from '../../activities/model/client';
import type { AgentOptions } from './agent-args';
import { runBaseline, type BaselineResult } from './agent-baseline';
import { MODEL_API_KEY, MODEL_NAME, startLoopbackModel, type ModelCounts } from './agent-model';
import { runAgentFloor, type AgentFloorResult } from './agent-floor';
import { runAgentPipeline, type AgentPipelineResult } from './agent-pipeline';
import { benchAgent, benchAgentModule, ToolLedger } from './agent-task';
import { writeDataset } from '../shared/dataset';

export interface Scenario {
  /** 'steady' or 'storm'. */
  label: string;
  n: number;
  /** Share of model requests answered 429. */
  rate429: number;
}

export interface ToolCounts {
  executions: number;
  distinctCalls: number;
  callsRunTwice: number;
}

export interface ScenarioResult extends Scenario {
  turns: number;
  /** What N examples of T turns need at least: N×T answered model requests, N×(T−1) tool executions. */
  needed: { modelRequests: number; toolExecutions: number };
  pipeline: AgentPipelineResult & { model: ModelCounts; tools: ToolCounts };
  /** The steady scenario only: the least SDK agent loop, the pipeline's floor. */
  floor?: AgentFloorResult & { model: ModelCounts; tools: ToolCounts };
  baseline: BaselineResult & { model: ModelCounts; tools: ToolCounts };
}

export async function runScenario(
  scenario: Scenario,
  opts: AgentOptions,
  workDir: string,
  bundles: { workflows: { code: string }; floor: { code: string } },
): Promise<ScenarioResult> {
  const { datasetPath, poolRows } = writeDataset(workDir, scenario.n);
  const modelOptions = { turns: opts.turns, latencyMs: opts.latencyMs, rate429: scenario.rate429, retryAfterS: opts.retryAfterS };
  const clientOptions = { apiKey: MODEL_API_KEY, model: MODEL_NAME, connections: Math.max(2 * opts.c, 20) };

  process.stdout.write(`[${scenario.label}] pipeline `);
  const pipeline = await withModel(modelOptions, clientOptions, opts.turns, async (agent) =>
    runAgentPipeline(scenario.label, benchAgentModule(agent), datasetPath, scenario.n, opts, workDir, bundles.workflows),
  );
  console.log(`done in ${(pipeline.wallMs / 1000).toFixed(1)} s`);

  let floor: ScenarioResult['floor'];
  if (scenario.rate429 === 0) {
    process.stdout.write(`[${scenario.label}] floor `);
    floor = await withModel(modelOptions, clientOptions, opts.turns, (agent) => runAgentFloor(agent, poolRows, opts, workDir, bundles.floor));
    console.log(`done in ${(floor.wallMs / 1000).toFixed(1)} s`);
  }

  process.stdout.write(`[${scenario.label}] baseline loop `);
  const baseline = await withModel(modelOptions, clientOptions, opts.turns, (agent) => runBaseline(agent, poolRows, opts.c));
  console.log(`done in ${(baseline.wallMs / 1000).toFixed(1)} s`);

  return {
    ...scenario,
    turns: opts.turns,
    needed: { modelRequests: scenario.n * opts.turns, toolExecutions: scenario.n * (opts.turns - 1) },
    pipeline,
    ...(floor ? { floor } : {}),
    baseline,
  };
}

/** Runs `fn` with an agent bound to a fresh loopback model and ledger; adds what they counted. */
async function withModel<R>(
  modelOptions: Parameters<typeof startLoopbackModel>[0],
  clientOptions: { apiKey: string; model: string; connections: number },
  turns: number,
  fn: (agent: ReturnType<typeof benchAgent>) => Promise<R>,
): Promise<R & { model: ModelCounts; tools: ToolCounts }> {
  const model = await startLoopbackModel(modelOptions);
  const client = createModelClient({ ...clientOptions, baseUrl: model.baseUrl });
  const ledger = new ToolLedger();
  try {
    const result = await fn(benchAgent(client, ledger, turns));
    return { ...result, model: model.counts(), tools: ledger.counts() };
  } finally {
    await client.close();
    await model.stop();
  }
}
