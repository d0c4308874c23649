/**
 * CI gates: `dxp run --fail-under <evaluator>=<min> --max-failures <n>` exits 1 with a table of
 * the gates when one fails and 0 when all pass; a gate naming no evaluator of the spec, or a
 * report into a missing folder, is refused (exit 2) before anything starts. `--junit` writes JUnit
 * XML (one test case per example for the task and for each evaluator) that a real XML parser
 * reads; `--summary` appends GitHub-style Markdown. On a real dev server with a real worker.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DevServer } from '../client/dev-server';
import { junitReport } from '../client/gates/junit';
import { markdownSummary } from '../client/gates/markdown';
import { GateError, judgeGates, parseGates } from '../client/gates/thresholds';
import type { ExperimentSummary, RunRecord } from '../core/records';
import { dxpEnv, runDxp } from './helpers/cli';
import { connectTestClient, startTestServer, startTestWorker, tempDir, writeJsonl, type RunningWorker } from './helpers/temporal';

describe('gate flags', () => {
  test('parsed against the spec: a typo, a missing number, a repeat or a bad count is refused by name', () => {
    expect(parseGates({ failUnder: ['exact-match=0.9', 'judge=0.7'], maxFailures: '3' }, ['exact-match', 'judge'])).toEqual({
      minScores: [{ evaluator: 'exact-match', min: 0.9 }, { evaluator: 'judge', min: 0.7 }],
      maxFailures: 3,
    });
    expect(parseGates({ failUnder: ['a=b=0.5'] }, ['a=b']).minScores).toEqual([{ evaluator: 'a=b', min: 0.5 }]);
    const refused = (opts: Parameters<typeof parseGates>[0]) => {
      try {
        parseGates(opts, ['exact-match']);
      } catch (err) {
        expect(err).toBeInstanceOf(GateError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ failUnder: ['nope=0.5'] })).toBe("--fail-under nope: the experiment has no evaluator 'nope' (it has: exact-match)");
    expect(refused({ failUnder: ['exact-match'] })).toMatch(/expected <evaluator>=<minimum mean score>/);
    expect(refused({ failUnder: ['exact-match=high'] })).toMatch(/the minimum must be a number/);
    expect(refused({ failUnder: ['exact-match=0.5', 'exact-match=0.6'] })).toMatch(/given twice/);
    for (const n of ['-1', '1.5', 'x']) expect(refused({ maxFailures: n })).toMatch(/--max-failures .*whole number/);
  });

  const summary: ExperimentSummary = {
    experimentId: 'e',
    name: 'e',
    status: 'completed',
    runs: 4,
    succeeded: 3,
    failed: 1,
    evaluators: { em: { meanScore: 0.75, scored: 4, labels: {}, errors: 0 }, labels: { meanScore: null, scored: 0, labels: { good: 4 }, errors: 0 } },
    failures: [{ exampleId: 'x|y', repetition: 1, error: 'boom\nsecond line' }],
    failuresTruncated: false,
    location: '/tmp',
    startedAt: '2026-12-03T00:00:00.000Z',
    finishedAt: '2026-12-03T00:00:02.500Z',
  };

  test('judged on the summary: at the threshold passes, under it fails, a mean over no scores fails', () => {
    const results = judgeGates({ minScores: [{ evaluator: 'em', min: 0.75 }, { evaluator: 'em', min: 0.76 }, { evaluator: 'labels', min: 0 }], maxFailures: 0 }, summary);
    expect(results.map((r) => [r.gate, r.actual, r.passed])).toEqual([
      ['em mean score', '0.75', true],
      ['em mean score', '0.75', false],
      ['labels mean score', 'no scores', false],
      ['failed runs', '1', false],
    ]);
  });

  test('the Markdown summary keeps a table whole whatever an error says', () => {
    const md = markdownSummary(summary, judgeGates({ minScores: [{ evaluator: 'em', min: 0.9 }] }, summary), 'http://ui/x');
    expect(md).toContain('| em mean score | ≥ 0.9 | 0.75 | ❌ fail |');
    expect(md).toContain('- `x|y` (repetition 1): boom second line');
    expect(md).toContain('[The experiment in the Temporal UI](http://ui/x)');
  });

  test('JUnit XML stays well-formed for hostile example ids and errors (read by a real XML parser)', () => {
    const hostile = ['<script>alert(1)</script>', 'a"b\'c&d', ']]>', 'ctl\u0001\u0008char', 'lone \uD800 surrogate', 'emoji 😀'];
    const runs: RunRecord[] = hostile.map((id, i) => ({
      exampleId: id,
      repetition: 1,
      output: null,
      ...(i === 0 ? { error: 'failed: <b>&</b>\n\u0007bell' } : {}),
      evaluations: { em: i === 1 ? { error: 'threw "x" & <y>' } : { score: i % 2, explanation: ']]> & <z>' } },
      steps: [],
      startedAt: summary.startedAt,
      durationMs: 5,
      workflowId: `wf/${id}`,
    }));
    const xml = junitReport({ ...summary, evaluators: { em: summary.evaluators.em! } }, runs, { minScores: [] });
    const parsed = JSON.parse(
      execFileSync('python3', ['-c', PARSE_JUNIT], { input: xml, encoding: 'utf8' }),
    ) as { tests: string; failures: string; errors: string; cases: Array<{ name: string; classname: string; outcome: string }> };
    expect(parsed).toMatchObject({ tests: '12', failures: '4', errors: '1' });
    expect(parsed.cases.filter((c) => c.classname === 'e.task').map((c) => c.name)).toEqual(hostile.map((id) => id.replace('\u0001', '\uFFFD').replace('\u0008', '\uFFFD').replace('\uD800', '\uFFFD')));
    expect(parsed.cases.find((c) => c.classname === 'e.task' && c.name === hostile[0])?.outcome).toBe('failure');
  });
});

/** Reads a JUnit file with Python's ElementTree: totals and each case's outcome, as JSON. */
const PARSE_JUNIT = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
cases = []
for case in root.iter('testcase'):
    kinds = [child.tag for child in case]
    cases.append({'name': case.get('name'), 'classname': case.get('classname'), 'outcome': kinds[0] if kinds else 'passed'})
print(json.dumps({'tests': root.get('tests'), 'failures': root.get('failures'), 'errors': root.get('errors'), 'cases': cases}))
`;

describe('on a real experiment', () => {
  const taskQueue = 'ci-gates';
  let dir: string;
  let server: DevServer;
  let client: Client;
  let worker: RunningWorker;
  let specPath: string;
  // 2+3 and 6*7 and 9-1 right; 10-4 against a wrong expectation; 1/0 a task error: exact-match 3/5.
  const rows = [
    { id: 'q1', input: 'What is 2 + 3?', expected: '5' },
    { id: 'q2', input: 'What is 6 * 7?', expected: '42' },
    { id: 'q3', input: 'What is 1 / 0?', expected: 'inf' },
    { id: 'q4', input: 'What is 10 - 4?', expected: '7' },
    { id: 'q5', input: 'What is 9 - 1?', expected: '8' },
  ];
  const dxp = (args: string[]) => runDxp(args, { cwd: dir, env: dxpEnv({ TEMPORAL_ADDRESS: server.address, DXP_DATA_DIR: join(dir, 'store') }) });
  const specFor = (name: string) => {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, `name: ${name}\ndataset: { path: ${JSON.stringify(writeJsonl(dir, 'calc.jsonl', rows))} }\ntask: demo-calculator\nevaluators: [exact-match]\ntaskQueue: ${taskQueue}\n`);
    return path;
  };

  beforeAll(async () => {
    dir = tempDir('dxp-ci-gates-');
    server = await startTestServer();
    client = await connectTestClient(server);
    worker = await startTestWorker(server, { dataDir: join(dir, 'store'), taskQueue });
    specPath = specFor('gated');
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    await server?.stop();
  });

  test('all gates pass: exit 0, the table, a JUnit file and a Markdown summary', async () => {
    const junit = join(dir, 'junit.xml');
    const summary = join(dir, 'summary.md');
    const result = await dxp(['run', specPath, '--fail-under', 'exact-match=0.6', '--max-failures', '1', '--junit', junit, '--summary', summary]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/CI gates: all passed\n\s+gate\s+threshold\s+actual\s+result\n\s+exact-match mean score\s+≥ 0\.6\s+0\.6\s+pass\n\s+failed runs\s+≤ 1\s+1\s+pass/);
    const parsed = JSON.parse(execFileSync('python3', ['-c', PARSE_JUNIT], { input: readFileSync(junit), encoding: 'utf8' })) as {
      tests: string;
      failures: string;
      cases: Array<{ name: string; classname: string; outcome: string }>;
    };
    // Five task cases and five exact-match cases; q3's task failed; q3 and q4 score 0, under the 0.6 gate.
    expect(parsed.tests).toBe('10');
    expect(parsed.failures).toBe('3');
    const failing = parsed.cases.filter((c) => c.outcome === 'failure').map((c) => `${c.classname}/${c.name}`).sort();
    expect(failing).toEqual(['gated.exact-match/q3', 'gated.exact-match/q4', 'gated.task/q3']);
    const md = readFileSync(summary, 'utf8');
    expect(md).toContain('## Experiment `gated`: completed ✅ all gates passed');
    expect(md).toContain('| exact-match | 0.6 | 5 |');
    expect(md).toMatch(/- `q3` \(repetition 1\): .*division by zero/);
  }, 120_000);

  test('a gate that fails: exit 1 with the table saying which; the summary is appended, not replaced', async () => {
    const summary = join(dir, 'summary.md');
    const before = readFileSync(summary, 'utf8');
    const result = await dxp(['result', 'gated', '--fail-under', 'exact-match=0.9', '--max-failures', '0', '--summary', summary]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/CI gates: 2 of 2 failed/);
    expect(result.stdout).toMatch(/exact-match mean score\s+≥ 0\.9\s+0\.6\s+FAIL/);
    expect(result.stdout).toMatch(/failed runs\s+≤ 0\s+1\s+FAIL/);
    const after = readFileSync(summary, 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect(after.slice(before.length)).toContain('❌ 2 of 2 gates failed');
    const one = await dxp(['result', 'gated', '--max-failures', '0']);
    expect(one.code).toBe(1);
    const json = await dxp(['result', 'gated', '--fail-under', 'exact-match=0.5', '--json']);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { gates: unknown[] }).gates).toEqual([{ gate: 'exact-match mean score', expected: '≥ 0.5', actual: '0.6', passed: true }]);
  }, 60_000);

  test('a wrong gate is refused before anything starts (exit 2, naming it), and no workflow is started', async () => {
    const fresh = specFor('never-started');
    const typo = await dxp(['run', fresh, '--fail-under', 'exact-mtach=0.9']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("--fail-under exact-mtach: the experiment has no evaluator 'exact-mtach' (it has: exact-match)");
    const folder = await dxp(['run', fresh, '--junit', join(dir, 'no-such-folder', 'junit.xml')]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/--junit .*: the folder .*no-such-folder does not exist/);
    await expect(client.workflow.getHandle('experiment/never-started').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
    // `dxp result` learns the evaluators from the summary, and refuses a typo the same way.
    const late = await dxp(['result', 'gated', '--fail-under', 'nope=1']);
    expect(late.code).toBe(2);
    expect(late.stderr).toContain("the experiment has no evaluator 'nope'");
  }, 60_000);
});
