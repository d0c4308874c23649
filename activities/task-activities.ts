/**
 * Activities that run user code: one task step, the cleanup step, one evaluator.
 * Each is its own activity so each gets its own timeout, heartbeat and retry policy.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { EvaluationResult, EvaluatorPlan, Example } from '../core/records';
import { coerceEvaluation } from './tasks/coerce';
import type { CleanupContext } from './tasks/define';
import type { TaskRegistry } from './tasks/registry';
import { evaluatorContext, scopedUserCode, stepContext, userCode } from './tasks/user-code';
import { FAILURE_TYPES } from '../core/failure-types';
import { processServices, type ActivityServices } from './services';
import { OpenInferenceSpanKind } from '@arizeai/openinference-semantic-conventions';
import { annotate, inSpan, payload, runAttributes } from './shared/spans';
import { stepSpanInput, evaluationAttributes } from './task-span-attributes';
import { DXP_ATTRIBUTES } from '../core/run-trace';

export interface StepInput {
  task: string;
  step: string;
  example: Example;
  repetition: number;
  outputs: Record<string, unknown>;
}

export interface CleanupInput extends Omit<StepInput, 'step'> {
  error?: string;
}

export interface EvaluatorInput {
  evaluator: EvaluatorPlan;
  example: Example;
  output: unknown;
  error?: string;
}

/** `services` default to the process-wide ones (for a test without a worker); a worker passes its own. */
export function createTaskActivities(registry: TaskRegistry, services: ActivityServices = processServices()) {
  return {
    async runTaskStep(input: StepInput): Promise<StepResult> {
      const step = registry.task(input.task).steps.find((s) => s.name === input.step);
      if (!step) throw ApplicationFailure.nonRetryable(`task '${input.task}' has no step '${input.step}'`, FAILURE_TYPES.invalidPlan);
      const attributes = () => ({ ...runAttributes(input.example, input.repetition), [DXP_ATTRIBUTES.step]: input.step, ...payload('input', stepSpanInput(input)) });
      return inSpan(`step ${input.step}`, OpenInferenceSpanKind.CHAIN, attributes, async (span) => {
        const { value, warnings } = await scopedUserCode(services, step.autoHeartbeat, (scope) => step.run(stepContext(input, scope, services)));
        const output = value === undefined ? null : value;
        annotate(span, () => payload('output', output));
        return { output, attempt: Context.current().info.attempt, ...withWarnings(warnings) };
      });
    },

    async runCleanup(input: CleanupInput): Promise<{ warnings?: string[] } | undefined> {
      const cleanup = registry.task(input.task).cleanup;
      if (!cleanup) return undefined;
      return inSpan('cleanup', OpenInferenceSpanKind.CHAIN, () => runAttributes(input.example, input.repetition), async () => {
        const { warnings } = await scopedUserCode(services, cleanup.autoHeartbeat, (scope) =>
          cleanup.run({ ...stepContext(input, scope, services), ...(input.error ? { error: input.error } : {}) } satisfies CleanupContext),
        );
        return withWarnings(warnings);
      });
    },

    async runEvaluator(input: EvaluatorInput): Promise<EvaluationResult> {
      const { example, evaluator } = input;
      const def = registry.evaluator(evaluator.use);
      // The scope of a step: sandboxes torn down at the end, however it ends. A local evaluator
      // cannot heartbeat; any other heartbeats on a timer once it has a sandbox, so a cancel reaches it.
      const attributes = () => ({
        ...runAttributes(example),
        [DXP_ATTRIBUTES.evaluator]: evaluator.column,
        ...payload('input', { output: input.output, expected: example.expected, ...(input.error ? { error: input.error } : {}) }),
      });
      return inSpan(`evaluator ${evaluator.column}`, OpenInferenceSpanKind.EVALUATOR, attributes, async (span) => {
        const { value } = await scopedUserCode(services, !Context.current().info.isLocal, (scope) =>
          def.evaluate(evaluatorContext({ example, output: input.output, params: evaluator.params ?? {}, ...(input.error ? { error: input.error } : {}) }, scope, services)),
        );
        const result = await userCode(() => coerceEvaluation(value));
        annotate(span, () => ({ ...payload('output', result), ...evaluationAttributes(evaluator.column, result) }));
        return result;
      });
    },
  };
}

export type TaskActivities = ReturnType<typeof createTaskActivities>;

export interface StepResult {
  output: unknown;
  attempt: number;
  /** Sandbox warnings (weak isolation) and refused heartbeats, for the run record. */
  warnings?: string[];
}

function withWarnings(warnings: string[]): { warnings?: string[] } {
  return warnings.length > 0 ? { warnings } : {};
}
