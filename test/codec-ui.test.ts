/**
 * The Temporal UI reads an encrypted experiment through `dxp codec-server`, in a real browser: the
 * dev server's UI started with `--ui-codec-endpoint`, an encrypting worker and `dxp run` with
 * DXP_CODEC_KEYS, and headless Chromium on an example's page. With the codec server up, the page
 * shows the row's input and the task's output (random canaries) in clear; once it is down, the same
 * page shows neither, only the encrypted payloads, so the browser really decoded through it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser, Page } from 'playwright-core';
import { startCodecServer, type RunningCodecServer } from '../client/codec-server';
import { codecFromEnv } from '../connection/codec/data-converter';
import { freePort, type DevServer } from '../client/dev-server';
import { exampleWorkflowId } from '../workflows/experiment-contract';
import { launchChromium } from './helpers/chromium';
import { dxpEnv, runDxp } from './helpers/cli';
import { killAllWorkerProcesses, PROJECT_ROOT, startWorkerProcess } from './helpers/processes';
import { connectTestClient, encryptedWorkflowBundleFile, startTestServer, tempDir } from './helpers/temporal';

const TASKS = join(PROJECT_ROOT, 'test', 'fixtures', 'codec-tasks.ts');
const KEYS = `k1:${randomBytes(32).toString('base64')}`;
const NAME = 'codec-ui';
const canaries = { input: `canary-${randomBytes(12).toString('hex')}`, output: `canary-${randomBytes(12).toString('hex')}` };

let dir: string;
let server: DevServer | undefined;
let codecServer: RunningCodecServer | undefined;
let browser: Browser | undefined;
let client: Client;
let historyUrl: string;
const codecRequests: string[] = [];

beforeAll(async () => {
  dir = tempDir('dxp-codec-ui-');
  // The codec server must know the UI's origin and the UI the codec server's address: the UI port first.
  const uiPort = await freePort();
  const uiOrigin = `http://127.0.0.1:${uiPort}`;
  codecServer = await startCodecServer({ codec: codecFromEnv({ DXP_CODEC_KEYS: KEYS })!, port: 0, host: '127.0.0.1', origins: [uiOrigin], log: (line) => codecRequests.push(line) });
  codecServer.server.on('request', (req: { method?: string; url?: string }) => codecRequests.push(`${req.method} ${req.url}`));
  const [started, bundle] = await Promise.all([startTestServer({ headless: false, uiPort, uiCodecEndpoint: codecServer.url }), encryptedWorkflowBundleFile()]);
  server = started;
  client = await connectTestClient(server);

  await startWorkerProcess({ name: 'encrypting worker', address: server.address, taskQueue: NAME, dataDir: join(dir, 'worker'), workflowBundle: bundle, ledger: join(dir, 'ledger.jsonl'), tasks: TASKS, env: { DXP_CODEC_KEYS: KEYS, DXP_TEST_OUTPUT_CANARY: canaries.output } });
  const runDir = join(dir, 'run');
  mkdirSync(runDir);
  writeFileSync(join(runDir, 'rows.jsonl'), `${JSON.stringify({ id: 'ok-1', input: `what is ${canaries.input}?`, expected: 'x' })}\n`);
  writeFileSync(join(runDir, 'spec.yaml'), [`name: ${NAME}`, 'dataset: { path: rows.jsonl }', 'task: echo', `taskQueue: ${NAME}`, 'evaluators: [exact-match]'].join('\n') + '\n');
  const result = await runDxp(['run', 'spec.yaml', '--wait'], { cwd: runDir, env: dxpEnv({ TEMPORAL_ADDRESS: server.address, DXP_TASKS: TASKS, DXP_CODEC_KEYS: KEYS }) });
  if (result.code !== 0) throw new Error(`dxp run exited ${result.code}: ${result.stderr}\n${result.stdout}`);

  const workflowId = exampleWorkflowId(NAME, 'ok-1', 1);
  const { runId } = await client.workflow.getHandle(workflowId).describe();
  historyUrl = `${server.uiUrl!}/namespaces/${server.namespace}/workflows/${encodeURIComponent(workflowId)}/${runId}/history`;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await killAllWorkerProcesses();
  await client?.connection.close();
  await codecServer?.close();
  await server?.stop();
}, 60_000);

/** The page's visible text once `ready` is in it, or when the deadline passes. */
async function pageText(page: Page, ready: string, timeoutMs = 30_000): Promise<string> {
  await page.goto(historyUrl, { waitUntil: 'domcontentloaded' });
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await page.innerText('body');
    if (text.includes(ready)) break;
    await page.waitForTimeout(250);
  }
  return text;
}

test('with the codec server up, the example page shows its input and output decoded', async () => {
  const page = await browser!.newPage();
  try {
    const text = await pageText(page, canaries.output);
    expect({ input: text.includes(canaries.input), output: text.includes(canaries.output) }).toEqual({ input: true, output: true });
    // Decoded by the browser through the codec server, and only by POSTs it accepted.
    expect(codecRequests.some((line) => /^POST \/decode(\?|$)/.test(line))).toBe(true);
    expect(codecRequests.filter((line) => /: \d{3} /.test(line))).toEqual([]);
  } finally {
    await page.close();
  }
}, 60_000);

test('with the codec server down, the same page shows the ciphertext, says so, and shows no canary', async () => {
  // The task step's output as the server stores it: what the page must show without the codec.
  const events = (await client.workflow.getHandle(exampleWorkflowId(NAME, 'ok-1', 1)).fetchHistory()).events ?? [];
  const stored = events.find((e) => e.activityTaskCompletedEventAttributes)?.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
  const ciphertext = Buffer.from(stored ?? new Uint8Array()).toString('base64').slice(0, 32);
  expect(ciphertext).toHaveLength(32);
  await codecServer!.close();
  codecServer = undefined;
  const page = await browser!.newPage();
  try {
    const text = await pageText(page, ciphertext);
    expect(text).toContain('Codec Server could not connect');
    expect(text).toContain(ciphertext);
    expect(text).not.toContain(canaries.input);
    expect(text).not.toContain(canaries.output);
  } finally {
    await page.close();
  }
}, 60_000);
