/**
 * The gate flags of `dxp run` and `dxp result`: checked before anything starts (a typo in an
 * evaluator's name, a report into a folder that does not exist), then judged on the finished
 * experiment, printed as a table, and written as JUnit XML and a Markdown summary when asked.
 */
import { appendFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ExperimentSummary, RunRecord } from '../../core/records';
import { CliError, EXIT } from '../exit-codes';
import { junitReport } from './junit';
import { markdownSummary } from './markdown';
import { formatGates, GateError, hasGates, judgeGates, parseGates, requireEvaluator, type GateOptions, type GateResult, type Gates } from './thresholds';

export type { GateOptions } from './thresholds';

export interface GateRequest {
  gates: Gates;
  junit?: string;
  summary?: string;
}

/** Undefined when no gate or report flag is given; a CliError (exit 2) naming the flag when one is wrong. */
export function gateRequest(opts: GateOptions, evaluators?: readonly string[]): GateRequest | undefined {
  let gates: Gates;
  try {
    gates = parseGates(opts, evaluators);
  } catch (err) {
    if (err instanceof GateError) throw new CliError(err.message, EXIT.badInput);
    throw err;
  }
  if (!hasGates(gates) && !opts.junit && !opts.summary) return undefined;
  for (const [flag, path] of [['--junit', opts.junit], ['--summary', opts.summary]] as const) {
    if (path === undefined) continue;
    const folder = dirname(resolve(path));
    if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new CliError(`${flag} ${path}: the folder ${folder} does not exist`, EXIT.badInput);
    if (existsSync(path) && statSync(path).isDirectory()) throw new CliError(`${flag} ${path}: is a folder, not a file`, EXIT.badInput);
  }
  return { gates, ...(opts.junit ? { junit: opts.junit } : {}), ...(opts.summary ? { summary: opts.summary } : {}) };
}

export interface GateOutcome {
  results: GateResult[];
  passed: boolean;
}

/** Judges the gates, writes the reports (JUnit overwritten, the Markdown appended, as GitHub's step summary wants). */
export async function applyGates(
  summary: ExperimentSummary,
  request: GateRequest,
  readRuns: () => Promise<RunRecord[]>,
  uiLink?: string,
): Promise<GateOutcome> {
  try {
    for (const { evaluator } of request.gates.minScores) requireEvaluator(evaluator, Object.keys(summary.evaluators));
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.badInput);
  }
  const results = judgeGates(request.gates, summary);
  if (request.junit) writeFileSync(request.junit, junitReport(summary, await readRuns(), request.gates));
  if (request.summary) appendFileSync(request.summary, markdownSummary(summary, results, uiLink));
  return { results, passed: results.every((r) => r.passed) };
}

export { formatGates };
