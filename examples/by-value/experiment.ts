/**
 * The demo's calculator experiment by value (`defineExperiment`): the task and the evaluators are
 * the functions themselves, with typed options, in one file that is both the worker's task module
 * and the spec that runs it:
 *
 *   dxp worker --tasks examples/by-value/experiment.ts
 *   dxp run examples/by-value/experiment.ts --wait
 *
 * examples/demo/experiment.yaml is the same kind of experiment by name (a YAML spec naming a
 * module's task and the built-in evaluators).
 */
import { defineExperiment, exactMatch, NonRetryableError, regex } from '../../index';

const ARITHMETIC = /(-?\d+(?:\.\d+)?)\s*([-+*/x×÷])\s*(-?\d+(?:\.\d+)?)/;

function calculate(question: string): string {
  const match = ARITHMETIC.exec(question);
  if (!match) throw new NonRetryableError(`no arithmetic found in: ${question}`);
  const [a, op, b] = [Number(match[1]), match[2], Number(match[3])];
  if ((op === '/' || op === '÷') && b === 0) throw new NonRetryableError('division by zero');
  const value = op === '+' ? a + b : op === '-' ? a - b : op === '/' || op === '÷' ? a / b : a * b;
  return String(Math.round(value * 1e6) / 1e6);
}

export default defineExperiment({
  name: 'calculator-by-value',
  description: 'The demo calculator, defined by value',
  dataset: { path: '../demo/dataset.jsonl' }, // relative to this file
  task: (row) => calculate(String(row.input)),
  evaluators: {
    correct: exactMatch({ trim: true }),
    'is-number': regex({ pattern: /^-?\d+(\.\d+)?$/ }),
    // Any function of the context: the example's fields (`row` is the whole dataset row) and its helpers.
    'op-in-question': ({ row, metadata }) => typeof metadata.op === 'string' && String(row.input).includes(metadata.op),
  },
  concurrency: 8,
  timeout: '30s',
});
