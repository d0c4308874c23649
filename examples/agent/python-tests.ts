/**
 * Runs a Python solution against test cases inside a sandbox, for the agent demo's `run_tests`
 * tool (visible tests) and its `hidden-tests` evaluator. A test case is `[call, expected]`:
 * a Python expression and its expected value as JSON, e.g. `["fizzbuzz(2)", ["1", "2"]]`.
 */
import { randomUUID } from 'node:crypto';
import { NonRetryableError, type Sandbox, type SandboxLimits } from '../../index';

export type TestCase = [call: string, expected: unknown];

/** Small limits: a solution to these problems needs well under a second and a few MB. */
export const PYTHON_LIMITS: Partial<SandboxLimits> = {
  wallTimeMs: 10_000,
  cpuSeconds: 5,
  memoryBytes: 256 * 1024 * 1024,
  maxProcesses: 16,
  maxOutputBytes: 64 * 1024,
  network: false,
};

/** What the model is shown of the run's output, at most. */
const MAX_OUTPUT_CHARS = 2_000;

export interface TestRun {
  passed: number;
  total: number;
  allPassed: boolean;
  /** e.g. "2 of 3 tests passed" or "killed: wall-time limit". */
  summary: string;
  /** The first failing case and why, when one failed. */
  firstFailure?: string;
  /** What the runner and the solution printed (the runner's report line removed), cut to a few KB. */
  output: string;
}

// The runner reads a nonce from stdin before it loads the solution and prefixes its report with
// it, so a solution's own prints cannot pass for the report. (Not a defence against code that
// inspects the runner's frames: the sandbox is what contains hostile code.)
const RUNNER = `
import json, sys

def main():
    nonce = sys.stdin.readline().strip()
    tests = json.load(open("tests.json"))
    ns = {"__name__": "solution"}
    try:
        exec(compile(open("solution.py").read(), "solution.py", "exec"), ns)
    except BaseException as e:
        line = f"ERROR loading solution.py: {type(e).__name__}: {e}"
        print(line, flush=True)
        print(nonce + json.dumps({"passed": 0, "total": len(tests), "firstFailure": line}), flush=True)
        return
    passed, first = 0, None
    for call, expected in tests:
        try:
            got = eval(call, ns)
            try:
                got = json.loads(json.dumps(got))  # tuples compare as lists, as in JSON
            except (TypeError, ValueError):
                pass
            if got == expected:
                passed += 1
                line = f"PASS {call}"
            else:
                line = f"FAIL {call}: expected {json.dumps(expected)}, got {repr(got)[:200]}"
        except BaseException as e:
            line = f"ERROR {call}: {type(e).__name__}: {str(e)[:200]}"
        print(line, flush=True)
        if first is None and not line.startswith("PASS"):
            first = line
    print(nonce + json.dumps({"passed": passed, "total": len(tests), "firstFailure": first}), flush=True)

main()
`;

/** Writes the solution, the cases and the runner into the sandbox and runs them with `python3`. */
export async function runPythonTests(sandbox: Sandbox, code: string, tests: TestCase[], signal?: AbortSignal): Promise<TestRun> {
  const nonce = `@@dxp-report-${randomUUID()}@@`;
  const result = await sandbox.run(['python3', '-I', '-B', 'runner.py'], {
    files: { 'solution.py': code, 'tests.json': JSON.stringify(tests), 'runner.py': RUNNER },
    stdin: `${nonce}\n`,
    limits: PYTHON_LIMITS,
    ...(signal ? { signal } : {}),
  });
  const lines = result.stdout.split('\n');
  const reportLine = lines.find((line) => line.startsWith(nonce));
  const printed = [lines.filter((line) => !line.startsWith(nonce)).join('\n').trimEnd(), result.stderr.trimEnd()].filter(Boolean).join('\n');
  const output = cut(printed);
  const total = tests.length;
  if (result.killedBy || !reportLine) {
    const why = result.killedBy
      ? `killed: ${result.killedBy} limit`
      : `the test runner stopped before its report (exit code ${result.exitCode ?? 'none'}${result.signal ? `, ${result.signal}` : ''})`;
    return { passed: 0, total, allPassed: false, summary: why, firstFailure: why, output };
  }
  const report = JSON.parse(reportLine.slice(nonce.length)) as { passed: number; total: number; firstFailure: string | null };
  return {
    passed: report.passed,
    total,
    allPassed: report.passed === total,
    summary: `${report.passed} of ${total} tests passed`,
    ...(report.firstFailure ? { firstFailure: report.firstFailure } : {}),
    output,
  };
}

/** The row's test cases from `column`, checked: a malformed dataset row fails at once, without retries. */
export function readTests(row: Record<string, unknown>, column: string): TestCase[] {
  const value = row[column];
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((t) => Array.isArray(t) && t.length === 2 && typeof t[0] === 'string' && t[0].trim() !== '');
  if (!ok) throw new NonRetryableError(`row column '${column}' must be a non-empty list of [python call, expected JSON value] pairs`);
  return value as TestCase[];
}

function cut(text: string): string {
  if (text.length <= MAX_OUTPUT_CHARS) return text;
  return `${text.slice(0, MAX_OUTPUT_CHARS)}\n[... ${text.length - MAX_OUTPUT_CHARS} more characters]`;
}
