/**
 * The HTML of `dxp report` in headless Chromium, from runs built with known scores: the histogram
 * bars carry the right counts, the flips table has exactly the flipped examples, links go where
 * they should, the page asks the network for nothing, and a hostile example id is text, not script.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { compareExperiments } from '../client/compare/compare';
import { escapeHtml, safeHref } from '../client/report/escape';
import { histogram } from '../client/report/histogram';
import { renderReport, type ReportSide } from '../client/report/html';
import { phoenixTraceUrl } from '../client/report/links';
import type { RunRecord } from '../core/records';
import { launchChromium } from './helpers/chromium';
import { tempDir } from './helpers/temporal';

const HOSTILE = `<script>document.title='pwned'</script><img src=x onerror="document.title='pwned'">`;

function run(exampleId: string, score: number, durationMs: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    exampleId,
    repetition: 1,
    output: null,
    evaluations: { correct: { score } },
    steps: [],
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs,
    workflowId: `experiment/x/example/${exampleId}/rep/1`,
    ...extra,
  };
}

// a: e1..e6 correct, e7..e8 wrong, the hostile id correct. b: e2 and the hostile id fail, e7 is fixed.
const A: ReportSide = {
  name: 'base',
  runs: [...[1, 2, 3, 4, 5, 6].map((i) => run(`e${i}`, 1, i * 10)), run('e7', 0, 70), run('e8', 0, 80), run(HOSTILE, 1, 500, { trace: { id: 'ab'.repeat(16), timestamp: 0 } })],
};
const B: ReportSide = {
  name: 'cand',
  runs: [
    run('e1', 1, 10), run('e2', 0, 20), ...[3, 4, 5, 6].map((i) => run(`e${i}`, 1, i * 10)), run('e7', 1, 70), run('e8', 0.5, 80),
    run(HOSTILE, 0, 900, { error: `${HOSTILE} failed` }),
  ],
};

let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await launchChromium();
  dir = tempDir('dxp-report-');
});

afterAll(async () => {
  await browser?.close();
});

/** Writes the report, opens it, and records every request the page makes and every dialog it opens. */
async function open(html: string): Promise<{ page: Page; requests: string[]; url: string }> {
  const file = join(dir, `report-${Math.random().toString(36).slice(2)}.html`);
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser.newPage();
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => void d.dismiss());
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests, url };
}

const links = {
  workflow: (id: string) => `http://ui.test/namespaces/default/workflows/${encodeURIComponent(id)}`,
  trace: (id: string) => phoenixTraceUrl('http://phoenix.test/', 'dxp', id),
};

test('histograms, flips, failures and links of a report with --vs, in Chromium', async () => {
  const comparison = compareExperiments(A, B);
  const html = renderReport({ experiment: A, vs: { side: B, comparison }, links, generatedAt: '2026-01-01T00:00:00Z' });
  const { page, requests, url } = await open(html);
  try {
    expect(requests).toEqual([url]);
    expect(await page.title()).toBe('base vs cand');
    // Ten bins over [0, 1]: a has 2 zeros and 7 ones; b 2 zeros, one 0.5 (bin 5) and 6 ones.
    const bars = await page.$$eval('svg.histogram[data-evaluator="correct"] rect.bar', (rects) =>
      rects.map((r) => ({ side: r.getAttribute('data-side'), bin: Number(r.getAttribute('data-bin')), count: Number(r.getAttribute('data-count')), height: Number(r.getAttribute('height')) })),
    );
    expect(bars).toHaveLength(20);
    const counts = (side: string) => bars.filter((b) => b.side === side).sort((x, y) => x.bin - y.bin).map((b) => b.count);
    expect(counts('base')).toEqual([2, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
    expect(counts('cand')).toEqual([2, 0, 0, 0, 0, 1, 0, 0, 0, 6]);
    expect(bars.find((b) => b.side === 'base' && b.bin === 9)!.height).toBeGreaterThan(bars.find((b) => b.side === 'cand' && b.bin === 9)!.height);

    const flips = await page.$$eval('#flips tbody tr', (rows) => rows.map((r) => [r.getAttribute('data-direction'), r.getAttribute('data-example'), r.querySelector('td:nth-child(2)')!.textContent]));
    expect(flips).toEqual([
      ['regressed', HOSTILE, HOSTILE], // ids sort by localeCompare: '<' before letters
      ['regressed', 'e2', 'e2'],
      ['fixed', 'e7', 'e7'],
    ]);
    expect(await page.textContent('.new-failures')).toBe(HOSTILE);

    // The slowest run of a is the hostile one: its Temporal UI link and its Phoenix trace.
    const first = await page.$$eval('#slowest-a tbody tr:first-child td', (tds) => tds.map((td) => ({ text: td.textContent, href: td.querySelector('a')?.getAttribute('href') ?? null })));
    expect(first[0]!.text).toBe(HOSTILE);
    expect(first[4]!.href).toBe(links.workflow(`experiment/x/example/${HOSTILE}/rep/1`));
    expect(first[5]).toEqual({ text: 'ab'.repeat(16), href: `http://phoenix.test/projects/dxp/traces/${'ab'.repeat(16)}` });
    expect(await page.$$eval('#slowest-b tbody tr', (rows) => rows.length)).toBe(9);
    expect(await page.textContent('#costliest-a')).toContain('No cost data');
  } finally {
    await page.close();
  }
});

test('a hostile example id renders as text and runs no script; without links the ids are shown', async () => {
  const html = renderReport({ experiment: B, links: { workflow: () => undefined, trace: () => undefined }, generatedAt: 'now' });
  expect(html).not.toContain('<script');
  expect(html).not.toContain('<img');
  const { page, requests, url } = await open(html);
  try {
    expect(requests).toEqual([url]); // the <img src=x> of the id was never fetched
    expect(await page.title()).toBe('cand');
    expect(await page.$$('script')).toHaveLength(0);
    expect(await page.$$('img')).toHaveLength(0);
    const cells = await page.$$eval('#slowest-a tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
    expect(cells[0]).toBe(HOSTILE);
    expect(cells[3]).toBe(`failed: ${HOSTILE} failed`);
    expect(await page.$$('#slowest-a a')).toHaveLength(0);
    expect(await page.$$('#flips')).toHaveLength(0);
  } finally {
    await page.close();
  }
});

test('escaping, hrefs and histogram bins as pure functions', () => {
  expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  expect(safeHref('javascript:alert(1)')).toBeUndefined();
  expect(safeHref('http://h/?a=1&b="2"')).toBe('http://h/?a=1&amp;b=&quot;2&quot;');
  expect(histogram([0, 0.05, 0.1, 0.99, 1, 1]).counts).toEqual([2, 1, 0, 0, 0, 0, 0, 0, 0, 3]);
  // Scores beyond [0, 1] widen the range: [-1, 3] in bins of 0.4.
  expect(histogram([-1, 3, 1])).toEqual({ min: -1, max: 3, counts: [1, 0, 0, 0, 0, 1, 0, 0, 0, 1] });
});
