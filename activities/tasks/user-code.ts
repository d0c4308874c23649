/** Runs user code (steps, tools, evaluators) inside an activity and gives its errors a stable shape. */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { InvalidEvaluationError } from './coerce';
import { NonRetryableError } from './define';
import { InvalidPlanError } from './registry';

const NON_RETRYABLE = new Set([NonRetryableError.name, InvalidEvaluationError.name, InvalidPlanError.name]);

/**
 * Runs user code and turns what it throws into an ApplicationFailure with a stable type (the
 * error's name), the attempt number in its details, and the original error as cause.
 */
export async function userCode<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    const error = err instanceof Error ? err : new Error(String(err));
    throw ApplicationFailure.create({
      type: error.name,
      message: error.message,
      nonRetryable: NON_RETRYABLE.has(error.name),
      details: [{ attempt: Context.current().info.attempt }],
      cause: error,
    });
  }
}
