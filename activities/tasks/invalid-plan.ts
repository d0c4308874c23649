/** A spec that does not fit the worker's tasks and evaluators; fails non-retryable as FAILURE_TYPES.invalidPlan. */
import { FAILURE_TYPES } from '../../core/failure-types';

export class InvalidPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FAILURE_TYPES.invalidPlan;
  }
}
