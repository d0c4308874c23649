/** How activity and child-workflow failures read in run records. */
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';

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
