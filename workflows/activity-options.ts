/** Turns plain activity plans (from the spec and the task registry) into Temporal activity options. */
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/workflow';
import type { ActivityPlan } from '../core/records';
import type { RetrySpec } from '../core/spec';

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

/** A plan run as a local activity: no heartbeat or task queue (it runs in the workflow's own worker). */
export function toLocalActivityOptions(plan: ActivityPlan, summary: string): LocalActivityOptions {
  return { startToCloseTimeout: plan.timeout, retry: toRetryPolicy(plan.retry), summary } as LocalActivityOptions;
}
