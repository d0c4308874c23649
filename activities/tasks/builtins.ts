/** Evaluators every worker has, and the demo task that `dxp demo` runs. */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineTasks, NonRetryableError, type ScoredRun } from './define';

/** Objects compare by content; strings as they are. */
function asText(value: unknown): string {
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

/**
 * The demo: a three-step "calculator agent" over questions like "What is 17 * 3?".
 * Offline and deterministic, with a little latency so the progress bar has something to show.
 */
export const demoModule = defineTasks({
  tasks: {
    'demo-calculator': {
      steps: [
        {
          name: 'parse',
          timeout: '10s',
          run: async ({ input, signal }) => {
            await sleep(50 + Math.floor(Math.random() * 150), undefined, { signal });
            const match = /(-?\d+(?:\.\d+)?)\s*([-+*/x×÷])\s*(-?\d+(?:\.\d+)?)/.exec(asText(input));
            if (!match) throw new NonRetryableError(`no arithmetic found in: ${asText(input)}`);
            return { a: Number(match[1]), op: match[2], b: Number(match[3]) };
          },
        },
        {
          name: 'compute',
          timeout: '10s',
          run: async ({ outputs, signal }) => {
            await sleep(50 + Math.floor(Math.random() * 150), undefined, { signal });
            const { a, op, b } = outputs.parse as { a: number; op: string; b: number };
            if ((op === '/' || op === '÷') && b === 0) throw new NonRetryableError('division by zero');
            const value = op === '+' ? a + b : op === '-' ? a - b : op === '/' || op === '÷' ? a / b : a * b;
            return Math.round(value * 1e6) / 1e6;
          },
        },
        { name: 'answer', run: ({ outputs }) => String(outputs.compute) },
      ],
    },
    /** Returns the input unchanged: a no-op for trying specs and measuring overhead. */
    echo: (_row, { input }) => input,
  },
  evaluators: builtinEvaluators,
});
