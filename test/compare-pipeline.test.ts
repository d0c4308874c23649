/**
 * `dxp compare` and `dxp report --vs` on experiments that really ran: a Temporal dev server, an
 * in-process worker, the built-in exact-match evaluator, and the CLI binary reading the worker's
 * results store. The experiments differ in known ways, so every flip, failure and sign is known.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@temporalio/client';
import { defineTasks, NonRetryableError } from '../activities/tasks/define';
import type { DevServer } from '../client/dev-server';
import { startExperiment } from '../client/experiments';
import { parseSpec } from '../client/spec-file';
import type { Comparison } from '../client/compare/compare';
import { launchChromium } from './helpers/chromium';
import { dxpEnv, runDxp } from './helpers/cli';
import { connectTestClient, startTestServer, startTestWorker, tempDir, writeJsonl, type RunningWorker } from './helpers/temporal';

const taskQueue = 'compare-test';
const UI = 'http://temporal-ui.test';

/**
 * 20 examples. Variant `base` answers q17..q20 wrong (16 of 20 right). `cand` breaks q3 and q5,
 * fixes q17 and q18, and its task fails on q9 (exact-match scores a failed run 0: a flip too).
 * `broken` answers q1..q12 wrong: an interval wholly below 0, with no task failure.
 */
const WRONG: Record<string, string[]> = {
  base: ['q17', 'q18', 'q19', 'q20'],
  cand: ['q3', 'q5', 'q19', 'q20'],
  broken: ['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8', 'q9', 'q10', 'q11', 'q12', 'q17', 'q18', 'q19', 'q20'],
};
const FAILS: Record<string, string[]> = { cand: ['q9'] };

function answer(variant: string) {
  return (row: Record<string, unknown>) => {
    const id = String(row.id);
    if (FAILS[variant]?.includes(id)) throw new NonRetryableError(`the ${variant} task cannot answer ${id}`);
    return WRONG[variant]!.includes(id) ? 'no' : String(row.expected);
  };
}

const tasks = defineTasks({ tasks: { base: answer('base'), cand: answer('cand'), broken: answer('broken') } });

let server: DevServer;
let client: Client;
let worker: RunningWorker;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = tempDir('dxp-compare-');
  server = await startTestServer();
  client = await connectTestClient(server);
  worker = await startTestWorker(server, { dataDir: join(dir, 'store'), taskQueue, modules: [tasks] });
  const dataset = writeJsonl(dir, 'questions.jsonl', Array.from({ length: 20 }, (_, i) => ({ id: `q${i + 1}`, input: `question ${i + 1}`, expected: 'yes' })));
  // `base-again` is base run twice: the same answers, so no difference at all.
  const experiments: [string, string][] = [['base', 'base'], ['base-again', 'base'], ['cand', 'cand'], ['broken', 'broken']];
  await Promise.all(
    experiments.map(async ([name, task]) => {
      const spec = parseSpec({ name, dataset: { path: dataset }, task, evaluators: ['exact-match'], concurrency: 10, taskQueue });
      const { handle } = await startExperiment(client, spec, taskQueue);
      await handle.result();
    }),
  );
  env = dxpEnv({ DXP_DATA_DIR: join(dir, 'store'), TEMPORAL_UI_URL: UI });
});

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
});

async function compare(...args: string[]) {
  return runDxp(['compare', ...args], { cwd: dir, env });
}

test('dxp compare --json reports exactly the known flips, the new failure and a negative difference', async () => {
  const out = await compare('base', 'cand', '--json');
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0); // without --fail-on-regression it only reports
  const c = JSON.parse(out.stdout) as Comparison;
  expect(c.a).toEqual({ name: 'base', runs: 20, examples: 20, failedRuns: 0 });
  expect(c.b).toEqual({ name: 'cand', runs: 20, examples: 20, failedRuns: 1 });
  const em = c.evaluators.find((e) => e.name === 'exact-match')!;
  expect(em).toMatchObject({ paired: 20, meanA: 0.8, meanB: 0.75, passRateA: 0.8, passRateB: 0.75 });
  expect(em.difference).toBeCloseTo(-0.05, 10);
  expect(em.interval!.low).toBeLessThan(0);
  expect(em.interval!.high).toBeGreaterThan(0); // 3 down, 2 up: not significant
  expect(em.flips.regressed.map((p) => p.exampleId)).toEqual(['q3', 'q5', 'q9']);
  expect(em.flips.fixed.map((p) => p.exampleId)).toEqual(['q17', 'q18']);
  expect(c.failures).toEqual({ newFailures: ['q9'], fixedFailures: [] });
  expect(c.latency.a.count).toBe(20);
  expect(c.regression).toEqual({ found: true, reasons: ['1 new task failure'] });
  // Seeded: the same command prints the same interval.
  expect((JSON.parse((await compare('base', 'cand', '--json')).stdout) as Comparison).evaluators[0]!.interval).toEqual(em.interval);
});

test('dxp compare prints a table that says it is paired and over how many examples', async () => {
  const out = await compare('base', 'cand');
  expect(out.code).toBe(0);
  expect(out.stdout).toContain('20 examples in both; repetitions averaged per example');
  expect(out.stdout).toMatch(/^exact-match\s+20\s+0\.800\s+0\.750\s+-0\.050\s+\[-?\d\.\d{3}, \+?\d\.\d{3}\]/m);
  expect(out.stdout).toContain('exact-match: passed in a, failed in b (3): q3, q5, q9');
  expect(out.stdout).toContain('exact-match: failed in a, passed in b (2): q17, q18');
  expect(out.stdout).toContain('new task failures in b: q9');
  expect(out.stdout).toContain('regression: 1 new task failure');
});

test('--fail-on-regression: 1 for a new failure or an interval below 0, 0 for the same answers; 2 for an unknown name', async () => {
  expect((await compare('base', 'cand', '--fail-on-regression')).code).toBe(1);
  const same = await compare('base', 'base-again', '--fail-on-regression', '--json');
  expect(same.code).toBe(0);
  const sameC = JSON.parse(same.stdout) as Comparison;
  expect(sameC.evaluators[0]).toMatchObject({ difference: 0, flips: { regressed: [], fixed: [] } });
  expect(sameC.evaluators[0]!.interval).toMatchObject({ low: 0, high: 0 });

  const broken = await compare('base', 'broken', '--fail-on-regression', '--json');
  expect(broken.code).toBe(1);
  const brokenC = JSON.parse(broken.stdout) as Comparison;
  expect(brokenC.failures.newFailures).toEqual([]);
  expect(brokenC.evaluators[0]!.interval!.high).toBeLessThan(0);
  expect(brokenC.regression.reasons).toHaveLength(1);
  // The other way round it is an improvement, and passes.
  expect((await compare('broken', 'base', '--fail-on-regression')).code).toBe(0);

  const unknown = await compare('base', 'no-such-experiment');
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain("no experiment 'no-such-experiment' in the results store");
  expect((await compare('base', 'cand', '--pass-threshold', 'high')).code).toBe(2);
});

test('dxp report --vs writes one page that Chromium shows with the histograms, the flips and Temporal UI links, offline', async () => {
  const file = join(dir, 'report.html');
  const out = await runDxp(['report', 'base', '--vs', 'cand', '--out', file], { cwd: dir, env });
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  expect(out.stdout).toContain(`${file}: report of base vs cand`);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });
    expect(requests).toEqual([url]);
    const counts = await page.$$eval('svg.histogram[data-evaluator="exact-match"] rect.bar', (rects) =>
      rects.filter((r) => ['0', '9'].includes(r.getAttribute('data-bin')!)).map((r) => `${r.getAttribute('data-side')}:${r.getAttribute('data-bin')}:${r.getAttribute('data-count')}`),
    );
    expect(counts.sort()).toEqual(['base:0:4', 'base:9:16', 'cand:0:5', 'cand:9:15']);
    const flips = await page.$$eval('#flips tbody tr', (rows) => rows.map((r) => `${r.getAttribute('data-direction')} ${r.getAttribute('data-example')}`));
    expect(flips).toEqual(['regressed q3', 'regressed q5', 'regressed q9', 'fixed q17', 'fixed q18']);
    expect(await page.textContent('.new-failures')).toBe('q9');
    const hrefs = await page.$$eval('#slowest-a a', (as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs).toHaveLength(10);
    for (const href of hrefs) expect(href).toMatch(new RegExp(`^${UI}/namespaces/default/workflows/experiment%2Fbase%2Fexample%2Fq\\d+%2Frep%2F1$`));
    expect(await page.$$eval('#summary tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent).join(' ')))).toEqual([
      'base 20 20 0 0.800',
      'cand 20 19 1 0.750',
    ]);
  } finally {
    await browser.close();
  }
});
