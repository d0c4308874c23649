/**
 * The failure types this project gives non-retryable ApplicationFailures, in one list: the
 * workflows, the CLI and the run records name a failure by these and nothing else.
 */
export const FAILURE_TYPES = {
  /** The spec does not fit the worker's registry: unknown task, step or evaluator, a bad agent. */
  invalidPlan: 'InvalidPlan',
  /** The dataset cannot be read or resolved. */
  invalidDataset: 'InvalidDataset',
  /** An agent's opening prompt is not a string or a list of messages. */
  invalidPrompt: 'InvalidPrompt',
  /** `dxp log`: the results table or its mapping is unusable. */
  invalidLog: 'InvalidLog',
  /** `dxp log` failed for another reason an activity gave up on. */
  logFailed: 'LogFailed',
  /** Uploading needs ARIZE_API_KEY in the worker's environment. */
  arizeNotConfigured: 'ArizeNotConfigured',
  /** Sending runs to Phoenix needs PHOENIX_BASE_URL in the worker's environment. */
  phoenixNotConfigured: 'PhoenixNotConfigured',
  /** Arize already has an experiment of that name that is not ours. */
  experimentNameTaken: 'ExperimentNameTaken',
  /** The spec's budget (tokens, cost, failures) was reached with `onLimit: stop`. */
  limitReached: 'LimitReached',
} as const;

export type FailureType = (typeof FAILURE_TYPES)[keyof typeof FAILURE_TYPES];
