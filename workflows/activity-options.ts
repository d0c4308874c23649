/** Turns plain activity plans (from the spec and the task registry) into Temporal activity options. */
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import type { ActivityPlan } from './records';
import type { RetrySpec } from './spec';

export function toRetryPolicy(retry: RetrySpec): RetryPolicy {
  return {
    // 0 in a spec means unlimited, which Temporal spells as no maximum.
    maximumAttempts: retry.maximumAttempts || undefined,
    initialInterval: retry.initialInterval,
    backoffCoefficient: retry.backoffCoefficient,
    maximumInterval: retry.maximumInterval,
    nonRetryableErrorTypes: retry.nonRetryableErrorTypes,
  } as RetryPolicy;
}

export function toActivityOptions(plan: ActivityPlan, summary: string): ActivityOptions {
  return {
    startToCloseTimeout: plan.timeout,
    heartbeatTimeout: plan.heartbeat,
    retry: toRetryPolicy(plan.retry),
    ...(plan.taskQueue ? { taskQueue: plan.taskQueue } : {}),
    summary,
  } as ActivityOptions;
}
