/** What a step's and an evaluator's spans say beyond the run's attributes (spans.ts). */
import type { Attributes } from '@opentelemetry/api';
import { SemanticConventions as OI } from '@arizeai/openinference-semantic-conventions';
import type { EvaluationResult } from '../core/records';
import { bounded } from '../core/trace-text';

/** A step's input: the example's, and the earlier steps' outputs when there are any. */
export function stepSpanInput(input: { example: { input: unknown }; outputs: Record<string, unknown> }): unknown {
  return Object.keys(input.outputs).length > 0 ? { input: input.example.input, outputs: input.outputs } : input.example.input;
}

/** OpenInference's evaluation attributes: the name, and what the evaluator returned. */
export function evaluationAttributes(name: string, result: EvaluationResult): Attributes {
  return {
    [OI.EVALUATION_NAME]: name,
    ...(typeof result.score === 'number' ? { [OI.EVALUATION_SCORE]: result.score } : {}),
    ...(result.label ? { [OI.EVALUATION_LABEL]: bounded(result.label, 1024) } : {}),
    ...(result.explanation ? { [OI.EVALUATION_EXPLANATION]: bounded(result.explanation) } : {}),
  };
}
