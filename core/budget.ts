/**
 * Limits that pause an experiment (or stop it) instead of letting it burn the dataset: tokens and
 * cost summed over every run's model calls, and failed runs (a count, or a share once enough ran).
 * Pure: the experiment workflow checks them after each run, `dxp resume --raise-budget` raises them.
 */

export interface BudgetLimits {
  tokens?: number;
  costUsd?: number;
  maxFailures?: number;
  maxFailureRate?: number;
}

export interface BudgetUsage {
  tokens: number;
  costUsd: number;
  runs: number;
  failed: number;
}

/** A failure rate says little over a handful of runs: it is judged from this many on. */
export const MIN_RUNS_FOR_FAILURE_RATE = 10;

/** Why a limit is reached, or undefined. */
export function limitReached(limits: BudgetLimits | undefined, usage: BudgetUsage): string | undefined {
  if (!limits) return undefined;
  if (limits.tokens !== undefined && usage.tokens >= limits.tokens) return `budget: ${usage.tokens} of ${limits.tokens} tokens used`;
  if (limits.costUsd !== undefined && usage.costUsd >= limits.costUsd) return `budget: $${round(usage.costUsd)} of $${limits.costUsd} spent`;
  if (limits.maxFailures !== undefined && usage.failed > limits.maxFailures) return `failures: ${usage.failed} runs failed, more than maxFailures ${limits.maxFailures}`;
  if (limits.maxFailureRate !== undefined && usage.runs >= MIN_RUNS_FOR_FAILURE_RATE && usage.failed / usage.runs > limits.maxFailureRate) {
    return `failures: ${usage.failed} of ${usage.runs} runs failed, more than maxFailureRate ${limits.maxFailureRate}`;
  }
  return undefined;
}

/** The limits with `raise` applied: each given field replaces the old one. */
export function raiseLimits(limits: BudgetLimits | undefined, raise: BudgetLimits): BudgetLimits {
  return { ...limits, ...raise };
}

function round(x: number): string {
  return x.toFixed(4).replace(/\.?0+$/, '');
}
