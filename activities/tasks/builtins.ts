/** Evaluators every worker has (in code: the factories of evaluator-factories.ts). */
import { NonRetryableError, type ScoredRun } from './define';

/** Objects compare by content; strings as they are. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? '';
}

function caseFold(text: string, params: Record<string, unknown>): string {
  return params.caseSensitive === false ? text.toLowerCase() : text;
}

export const builtinEvaluators = {
  /** 1 when the output equals the expected output (objects by JSON text). */
  'exact-match': ({ output, expected, params }: ScoredRun) => {
    const trim = params.trim === true;
    const norm = (v: unknown) => caseFold(trim ? asText(v).trim() : asText(v), params);
    return norm(output) === norm(expected);
  },
  /** 1 when the output contains `with.text` (or every one of `with.texts`; default: the expected output). */
  contains: ({ output, expected, params }: ScoredRun) => {
    const needles = Array.isArray(params.texts) ? params.texts.map(String) : [params.text === undefined ? asText(expected) : String(params.text)];
    const hay = caseFold(asText(output), params);
    const missing = needles.filter((n) => !hay.includes(caseFold(n, params)));
    return { score: missing.length === 0 ? 1 : 0, label: missing.length === 0 ? 'True' : 'False', ...(missing.length ? { explanation: `missing: ${missing.join(', ')}` } : {}) };
  },
  /** 1 when the output matches `with.pattern` (flags in `with.flags`). */
  regex: ({ output, params }: ScoredRun) => {
    if (typeof params.pattern !== 'string') throw new NonRetryableError("regex evaluator needs `with: { pattern: '...' }`");
    return new RegExp(params.pattern, typeof params.flags === 'string' ? params.flags : undefined).test(asText(output));
  },
  /** 1 when the output is JSON (an object/array output counts; a string must parse). */
  'json-parses': ({ output }: ScoredRun) => {
    if (typeof output !== 'string') return { score: output === undefined ? 0 : 1, label: output === undefined ? 'False' : 'True' };
    try {
      JSON.parse(output);
      return true;
    } catch (err) {
      return { score: 0, label: 'False', explanation: (err as Error).message };
    }
  },
};
