/**
 * Operating a running experiment from TypeScript (the CLI's `dxp pause` and `dxp resume` call
 * these): Temporal updates on the experiment workflow, so the call returns once the experiment
 * took it, with what is in flight; the pause is in the workflow's state, so it survives worker
 * crashes, server restarts and continue-as-new.
 */
import { hostname, userInfo } from 'node:os';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { pauseUpdate, resumeUpdate, type PauseOutcome, type PauseRequest } from '../workflows/experiment-contract';
import type { BudgetLimits } from '../core/budget';
import { getExperimentHandle } from './experiments';

export type { PauseOutcome, PauseState } from '../workflows/experiment-contract';

/** The experiment refused the request (still preparing, already finishing); the message says why. */
export class OperationRefusedError extends Error {
  override readonly name = 'OperationRefusedError';
}

/** Stops starting new examples; those in flight finish. Pausing a paused experiment keeps its first pause. */
export function pauseExperiment(client: Client, nameOrId: string, opts: { reason?: string; by?: string } = {}): Promise<PauseOutcome> {
  return operate(client, nameOrId, 'pause', { by: opts.by ?? whoAmI(), ...(opts.reason ? { reason: opts.reason } : {}) });
}

/** Starts examples again; `raise` replaces budget limits (refused when a limit would still be reached). */
export function resumeExperiment(client: Client, nameOrId: string, opts: { by?: string; raise?: BudgetLimits } = {}): Promise<PauseOutcome> {
  return operate(client, nameOrId, 'resume', { by: opts.by ?? whoAmI(), ...(opts.raise ? { raise: opts.raise } : {}) });
}

async function operate(client: Client, nameOrId: string, what: 'pause' | 'resume', request: PauseRequest): Promise<PauseOutcome> {
  const handle = getExperimentHandle(client, nameOrId);
  try {
    return await handle.executeUpdate(what === 'pause' ? pauseUpdate : resumeUpdate, { args: [request] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new OperationRefusedError(`${handle.workflowId}: ${err.cause?.message ?? err.message}`);
    throw err;
  }
}

/** user@host, as the Temporal UI shows who paused. */
function whoAmI(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (a container): keep $USER
  }
  return `${user}@${hostname()}`;
}
