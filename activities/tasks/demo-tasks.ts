/**
 * The tasks every worker has besides the user's: the demo's calculator (`dxp demo`) and `echo`.
 * They stay built in for this release, so specs and scripts that name them keep working on any
 * worker; the demo's own files are under examples/demo/.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { asText } from './builtins';
import { defineTasks, NonRetryableError } from './define';

/**
 * The demo: a three-step "calculator agent" over questions like "What is 17 * 3?".
 * Offline and deterministic, with a little latency so the progress bar has something to show.
 */
export const demoTasks = defineTasks({
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
});
