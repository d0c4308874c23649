/**
 * A Phoenix experiment's runs as run records, so `dxp compare` and `dxp report` read one from
 * Phoenix (by its id, with PHOENIX_BASE_URL) as they read one from the results store. Phoenix
 * keeps no example workflow: `workflowId` is empty (no Temporal UI link), the trace id is kept.
 */
import { createPhoenixClient, type PhoenixConfig } from '../activities/phoenix';
import type { PhoenixExportedRun } from '../activities/phoenix/types';
import type { EvaluatorOutcome, RunRecord } from '../core/records';
import { CliError, EXIT } from './exit-codes';

export async function readPhoenixExperiment(config: PhoenixConfig, experimentId: string): Promise<{ name: string; runs: RunRecord[] }> {
  const client = createPhoenixClient(config);
  try {
    const found = await client.getExperiment(experimentId).catch((err: unknown) => {
      if ((err as { status?: number }).status === 404) throw new CliError(`no Phoenix experiment with id '${experimentId}'`, EXIT.badInput);
      throw err;
    });
    return { name: found.name, runs: (await client.exportRuns(experimentId)).map(recordOfPhoenixRun) };
  } finally {
    await client.close();
  }
}

export function recordOfPhoenixRun(run: PhoenixExportedRun): RunRecord {
  const evaluations: Record<string, EvaluatorOutcome> = {};
  for (const a of run.annotations) {
    evaluations[a.name] = {
      ...(typeof a.score === 'number' ? { score: a.score } : {}),
      ...(typeof a.label === 'string' ? { label: a.label } : {}),
      ...(typeof a.explanation === 'string' ? { explanation: a.explanation } : {}),
      ...(typeof a.error === 'string' ? { error: a.error } : {}),
    };
  }
  const started = Date.parse(run.start_time);
  const span = Date.parse(run.end_time) - started;
  return {
    exampleId: run.example_id,
    repetition: run.repetition_number,
    output: run.output ?? null,
    ...(typeof run.error === 'string' ? { error: run.error } : {}),
    evaluations,
    steps: [],
    startedAt: run.start_time,
    durationMs: typeof run.latency_ms === 'number' ? run.latency_ms : Number.isFinite(span) ? span : 0,
    workflowId: '',
    ...(run.trace_id ? { trace: { id: run.trace_id, timestamp: started } } : {}),
  };
}
