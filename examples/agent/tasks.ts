/**
 * The agent demo's task module (`dxp demo --agent`, or `dxp worker --tasks examples/agent/tasks.ts`):
 * a coding agent that writes a Python function, checks it with `run_tests` (the row's visible
 * tests, run in a sandbox) and answers with its final code; and an evaluator that runs that code
 * against the row's hidden tests, which never reach the model.
 *
 * With tracing on (`DXP_TRACING=phoenix`, README "Monitoring"), each test run is a span of its own,
 * made with plain @opentelemetry/api: it lands under the tool's (or the evaluator's) span in the
 * run's trace, with no dxp code.
 */
import { trace } from '@opentelemetry/api';
import { defineAgent, defineTasks, NonRetryableError } from '../../index';
import { PYTHON_LIMITS, readTests, runPythonTests } from './python-tests';

const tracer = trace.getTracer('code-agent-example');

const SYSTEM = [
  'You are a careful Python programmer. Write the function the problem asks for.',
  'Before answering, call run_tests with your complete code (the function and any imports it needs): it runs the',
  'visible tests and tells you which pass. If any fail, fix the code and call run_tests again.',
  'When the tests pass, or when you cannot make them pass, answer with your final code in one ```python block.',
].join(' ');

export interface CodeAgentOutput {
  /** The last ```python block of the final answer; null when it has none. */
  code: string | null;
  turns: number;
  /** The summary of the last run_tests call, e.g. "3 of 3 tests passed". */
  lastTestRun: string | null;
}

export default defineTasks({
  tasks: {
    'code-agent': defineAgent({
      system: SYSTEM,
      // The id line lets the offline scripted model (client/demo/scripted-model.ts) recognise the problem.
      prompt: (ex) => `Problem id: ${ex.id}\n\n${String(ex.input)}`,
      model: { temperature: 0, maxTokens: 2_000 },
      tools: {
        run_tests: {
          description: 'Runs your Python code against the visible tests of the problem. Returns whether all passed and the test output.',
          parameters: {
            type: 'object',
            properties: { code: { type: 'string', description: 'The complete Python code: the function and its imports.' } },
            required: ['code'],
            additionalProperties: false,
          },
          timeout: '1m',
          // A sandbox that failed to start is retried once; the code's own failures are results, not throws.
          retry: { maximumAttempts: 2, initialInterval: '500ms' },
          run: async ({ code }: { code?: unknown }, ctx) => {
            if (typeof code !== 'string' || code.trim() === '') throw new NonRetryableError('run_tests needs { "code": "<python code>" }');
            const tests = readTests(ctx.row, 'visible_tests');
            const sandbox = await ctx.sandbox({ limits: PYTHON_LIMITS });
            const run = await testsInSpan('visible tests', tests.length, () => runPythonTests(sandbox, code, tests, ctx.signal));
            return { passed: run.allPassed, summary: run.summary, output: run.output };
          },
        },
      },
      maxTurns: 8,
      tokenBudget: 40_000,
      maxToolResultChars: 4_000,
      output: ({ answer, transcript, turns }): CodeAgentOutput => ({
        code: lastPythonBlock(answer),
        turns,
        lastTestRun: lastTestSummary(transcript.filter((m) => m.role === 'tool').map((m) => String(m.content ?? ''))),
      }),
    }),
  },
  evaluators: {
    'hidden-tests': {
      timeout: '1m',
      evaluate: async ({ output, error, row, signal, sandbox }) => {
        const code = (output as Partial<CodeAgentOutput> | null)?.code;
        if (typeof code !== 'string' || code.trim() === '') {
          const why = error ? `the agent gave no final code: ${error}` : 'the final answer has no ```python block';
          return { score: 0, label: 'fail', explanation: why };
        }
        const tests = readTests(row, 'hidden_tests');
        // The worker's provider (DXP_SANDBOX), like the tool's; torn down when the evaluator ends.
        const box = await sandbox({ limits: PYTHON_LIMITS });
        const run = await testsInSpan('hidden tests', tests.length, () => runPythonTests(box, code, tests, signal));
        return {
          score: run.passed / run.total,
          label: run.allPassed ? 'pass' : 'fail',
          explanation: run.allPassed ? `all ${run.total} hidden tests passed` : `${run.summary}; first failure: ${run.firstFailure}`,
          metadata: { passed: run.passed, total: run.total, isolation: box.isolation },
        };
      },
    },
  },
});

/** A user's own span around a test run, as any instrumented code makes one. */
function testsInSpan<T extends { passed: number; allPassed: boolean }>(name: string, total: number, run: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      const result = await run();
      span.setAttributes({ 'tests.total': total, 'tests.passed': result.passed, 'tests.all_passed': result.allPassed });
      return result;
    } finally {
      span.end();
    }
  });
}

/** The last fenced code block (```python, ```py or bare ```) of the answer. */
export function lastPythonBlock(answer: string): string | null {
  const blocks = [...answer.matchAll(/```(?:python|py)?[ \t]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const code = blocks.at(-1)?.trim();
  return code ? `${code}\n` : null;
}

function lastTestSummary(toolResults: string[]): string | null {
  const last = toolResults.at(-1);
  if (last === undefined) return null;
  try {
    const parsed = JSON.parse(last) as { summary?: unknown };
    return typeof parsed.summary === 'string' ? parsed.summary : last.slice(0, 200);
  } catch {
    return last.slice(0, 200); // an `error: ...` result
  }
}
