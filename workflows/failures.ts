/** How activity and child-workflow failures read in run records, and how they fail a workflow. */
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';
import { FAILURE_TYPES, type FailureType } from '../core/failure-types';

/** The innermost message of an activity's (or a child workflow's) failure, with its type when it says more. */
export function describeFailure(err: unknown): string {
  if (err instanceof ActivityFailure || err instanceof ChildWorkflowFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) return cause.type && cause.type !== 'Error' ? `${cause.type}: ${cause.message}` : cause.message;
    if (cause) return cause.message;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The attempt number user code reported in its failure details, when it did. */
export function failedAttempts(err: unknown): number | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const detail = err.cause.details?.[0] as { attempt?: number } | undefined;
    return detail?.attempt;
  }
  return undefined;
}

/** Sandbox warnings (weak isolation) of a step's result; histories recorded before warnings existed have none. */
export function warningsOf(result: { warnings?: string[] } | null | undefined): { warnings?: string[] } {
  return result?.warnings?.length ? { warnings: result.warnings } : {};
}

/** Warnings a failed step or tool call carried in its failure details (see userCode). */
export function failureWarnings(err: unknown): { warnings?: string[] } {
  if (!(err instanceof ActivityFailure && err.cause instanceof ApplicationFailure)) return {};
  return warningsOf(err.cause.details?.[0] as { warnings?: string[] } | undefined);
}

/**
 * An activity's final failure fails the workflow with the activity's reason, non-retryable: under
 * `type` when given, else under the activity's own failure type. A failure with no reason of its
 * own (a timeout, a cancellation) is rethrown as it is.
 */
export function failWorkflowWith(err: unknown, type?: FailureType): never {
  if (err instanceof ActivityFailure && err.cause) {
    const own = err.cause instanceof ApplicationFailure ? (err.cause.type ?? FAILURE_TYPES.invalidPlan) : undefined;
    const chosen = type ?? own;
    if (chosen) throw ApplicationFailure.create({ type: chosen, message: err.cause.message, nonRetryable: true, cause: err });
  }
  throw err;
}
