/** Evaluator return values → EvaluationResult, with the coercion rules of Arize's SDK. */
import type { EvaluationResult } from '../../core/records';
import type { EvaluatorReturn } from './define';

export class InvalidEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEvaluationError';
  }
}

export function coerceEvaluation(value: EvaluatorReturn | null | undefined): EvaluationResult {
  if (typeof value === 'boolean') return { score: value ? 1 : 0, label: value ? 'True' : 'False' };
  if (typeof value === 'number') return checked({ score: value });
  if (typeof value === 'string') return checked({ label: value });
  if (Array.isArray(value)) {
    const [score, explanation] = value;
    return checked({ score, explanation: explanation === undefined ? undefined : String(explanation) });
  }
  if (value && typeof value === 'object') {
    const { score, label, explanation, metadata } = value;
    return checked({
      ...(score !== undefined && score !== null ? { score } : {}),
      ...(label !== undefined && label !== null ? { label: String(label) } : {}),
      ...(explanation !== undefined && explanation !== null ? { explanation: String(explanation) } : {}),
      ...(metadata !== undefined ? { metadata } : {}),
    });
  }
  throw new InvalidEvaluationError(`an evaluator must return a score, label, boolean, [score, explanation] or {score, label, ...}; got ${value === null ? 'null' : typeof value}`);
}

function checked(result: EvaluationResult): EvaluationResult {
  if (result.score !== undefined && (typeof result.score !== 'number' || !Number.isFinite(result.score))) {
    throw new InvalidEvaluationError(`score must be a finite number, got ${String(result.score)}`);
  }
  if (result.score === undefined && !result.label) {
    throw new InvalidEvaluationError('an evaluation needs a score or a non-empty label');
  }
  if (result.metadata !== undefined && (typeof result.metadata !== 'object' || result.metadata === null || Array.isArray(result.metadata))) {
    throw new InvalidEvaluationError('metadata must be an object');
  }
  return result;
}
