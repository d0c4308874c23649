/** `dxp pause` and `dxp resume`: the experiment stops starting new examples, or starts them again. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ServiceError } from '@temporalio/client';
import { CliError, EXIT } from '../cli-context';
import { OperationRefusedError, pauseExperiment, resumeExperiment, type PauseOutcome } from '../operate';
import type { BudgetLimits } from '../../core/budget';

export async function pauseCommand(client: Client, id: string, opts: { reason?: string }): Promise<number> {
  const outcome = await refusedAsBadInput(id, () => pauseExperiment(client, id, opts));
  const p = outcome.pause!;
  process.stdout.write(
    `Experiment ${id} is paused (by ${p.by}, since ${p.since}${p.reason ? `: ${p.reason}` : ''}).\n` +
      `  ${outcome.running} running will finish; ${outcome.queued} queued (and the rest of the dataset) wait. \`dxp resume ${id}\` carries on.\n`,
  );
  return EXIT.ok;
}

/** `tokens=20000,costUsd=5,maxFailures=10`: the limits `dxp resume --raise-budget` sets. */
export function parseRaise(value: string): BudgetLimits {
  const raise: BudgetLimits = {};
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, raw] = part.split('=');
    const n = Number(raw);
    if (!raw || !Number.isFinite(n) || n < 0) throw new CliError(`--raise-budget ${part}: expected <limit>=<number ≥ 0>`, EXIT.badInput);
    if (key === 'tokens' || key === 'costUsd' || key === 'maxFailures' || key === 'maxFailureRate') raise[key] = n;
    else throw new CliError(`--raise-budget ${part}: the limits are tokens, costUsd, maxFailures, maxFailureRate`, EXIT.badInput);
  }
  if (Object.keys(raise).length === 0) throw new CliError('--raise-budget: give at least one limit, e.g. tokens=200000', EXIT.badInput);
  return raise;
}

export async function resumeCommand(client: Client, id: string, opts: { raiseBudget?: string } = {}): Promise<number> {
  const raise = opts.raiseBudget !== undefined ? parseRaise(opts.raiseBudget) : undefined;
  const outcome = await refusedAsBadInput(id, () => resumeExperiment(client, id, raise ? { raise } : {}));
  process.stdout.write(`Experiment ${id} is running again (${outcome.running} running, ${outcome.queued} queued).\n`);
  return EXIT.ok;
}

async function refusedAsBadInput(id: string, fn: () => Promise<PauseOutcome>): Promise<PauseOutcome> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof OperationRefusedError) throw new CliError(err.message, EXIT.badInput);
    if (err instanceof WorkflowNotFoundError) throw new CliError(`no running experiment ${id}`, EXIT.badInput);
    // A closed workflow takes no update: the server answers NOT_FOUND / "already completed".
    if (err instanceof ServiceError && /already completed|not found/i.test(err.message)) throw new CliError(`experiment ${id} is not running: ${err.message}`, EXIT.badInput);
    throw err;
  }
}
