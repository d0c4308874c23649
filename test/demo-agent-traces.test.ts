/**
 * `dxp demo --agent` traced into a real Phoenix, as a user turns it on (`DXP_TRACING=phoenix`):
 * one AGENT trace per problem, the example's own spans (plain @opentelemetry/api in
 * examples/agent/tasks.ts) under the tool and evaluator they ran in, no trace per progress query,
 * and Phoenix's own UI (headless Chromium) showing the run's tree. With DXP_SCREENSHOT_DIR set it
 * saves the page there (the README's picture: `npm run docs:screenshots`).
 */
import { join } from 'node:path';
import type { DevServer } from '../client/dev-server';
import { readStoredRuns } from '../client/demo/agent-demo';
import type { RunRecord } from '../core/records';
import { launchChromium } from './helpers/chromium';
import { runDxp } from './helpers/cli';
import { projectSpans, startPhoenix, type PhoenixServer, type PhoenixSpan } from './helpers/phoenix';
import { waitFor } from './helpers/processes';
import { startTestServer, tempDir } from './helpers/temporal';


const project = 'agent-demo-traces';
const PROBLEMS = 7;
let dir: string;
let phoenix: PhoenixServer;
let server: DevServer;
let runs: RunRecord[];
let spans: PhoenixSpan[];

beforeAll(async () => {
  dir = tempDir('dxp-demo-traces-');
  [phoenix, server] = await Promise.all([startPhoenix(), startTestServer()]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    DXP_DATA_DIR: join(dir, 'data'),
    DXP_TRACING: 'phoenix',
    PHOENIX_COLLECTOR_ENDPOINT: phoenix.baseUrl,
    DXP_TRACE_PROJECT: project,
  };
  // Offline: whatever model this machine is configured for, the demo must use the scripted one.
  for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'DXP_MODEL', 'DXP_MODEL_PRICES', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) delete env[name];
  const demo = await runDxp(['demo', '--agent', '--no-keep'], { cwd: dir, env });
  const name = /Experiment (agent-demo-\S+) started/.exec(demo.stdout)?.[1];
  if (demo.code !== 0 || !name) throw new Error(`dxp demo --agent failed (exit ${demo.code}):\n${demo.stdout}\n${demo.stderr}`);
  runs = readStoredRuns(join(dir, 'data'), name);
  let last = '';
  spans = await waitFor(
    async () => {
      try {
        const all = await projectSpans(phoenix, project);
        const roots = all.filter((s) => s.parent_id === null && s.name === 'RunWorkflow:example');
        last = `${all.length} spans, ${roots.length} run roots`;
        return roots.length === PROBLEMS && all.filter((s) => s.name === 'evaluator hidden-tests').length === PROBLEMS ? all : undefined;
      } catch (err) {
        last = (err as Error).message;
        return undefined;
      }
    },
    { timeoutMs: 60_000, intervalMs: 500, describe: () => `the demo's spans in Phoenix (last: ${last})` },
  );
}, 240_000);

afterAll(async () => {
  await server?.stop();
  await phoenix?.stop();
});

test('one AGENT trace per problem, named on its run record; the experiment is a trace of its own and progress queries are none', () => {
  expect(runs).toHaveLength(PROBLEMS);
  const roots = spans.filter((s) => s.parent_id === null);
  expect(roots.map((s) => s.name).sort()).toEqual(['RunWorkflow:example', ...Array(PROBLEMS - 1).fill('RunWorkflow:example'), 'StartWorkflow:experiment'].sort());
  for (const run of runs) {
    const root = roots.find((s) => s.context.trace_id === run.trace?.id);
    expect(root).toMatchObject({ span_kind: 'AGENT', attributes: { 'dxp.example_id': run.exampleId, 'agent.name': 'code-agent' } });
  }
});

test("the example's own spans sit under the tool call and the evaluator they ran in", () => {
  const byId = new Map(spans.map((s) => [s.context.span_id, s]));
  const visible = spans.filter((s) => s.name === 'visible tests');
  const toolCalls = runs.reduce((n, r) => n + (r.agent?.toolCalls ?? 0), 0);
  expect(visible).toHaveLength(toolCalls);
  for (const span of visible) {
    expect(byId.get(span.parent_id!)).toMatchObject({ name: 'tool run_tests', span_kind: 'TOOL' });
    expect(span.attributes['tests.total']).toEqual(expect.any(Number));
  }
  const hidden = spans.filter((s) => s.name === 'hidden tests');
  expect(hidden.length).toBeGreaterThanOrEqual(PROBLEMS - 1); // a run with no final code runs no hidden tests
  for (const span of hidden) expect(byId.get(span.parent_id!)).toMatchObject({ name: 'evaluator hidden-tests', span_kind: 'EVALUATOR' });
});

test("Phoenix's UI shows a run's trace: the agent, its model turns, tool calls and the example's spans", async () => {
  const projects = await phoenix.get<{ data: Array<{ id: string; name: string }> }>('/v1/projects');
  const projectId = projects.data.find((p) => p.name === project)!.id;
  const solved = runs.find((r) => r.exampleId === 'is_palindrome') ?? runs[0]!;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(`${phoenix.baseUrl}/projects/${projectId}/traces/${solved.trace!.id}`, { waitUntil: 'networkidle' });
    // The tree, and the root's detail (the problem as the agent's input).
    for (const text of ['RunWorkflow:example', 'chat scripted-coder', 'tool run_tests', 'visible tests', 'Input', 'Output']) {
      await page.getByText(text, { exact: true }).first().waitFor({ timeout: 30_000 });
    }
    await page.getByText(/is_palindrome|def /).first().waitFor({ timeout: 30_000 });
    if (process.env.DXP_SCREENSHOT_DIR) await page.screenshot({ path: join(process.env.DXP_SCREENSHOT_DIR, 'phoenix-agent-trace.png') });
  } finally {
    await browser.close();
  }
}, 60_000);
