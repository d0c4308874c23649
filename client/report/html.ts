/**
 * `dxp report` as a pure function: runs in, one self-contained HTML page out (inline CSS and SVG,
 * no script, no external resource; a Content-Security-Policy forbids any, should data ever slip
 * through). Every string from data goes through escapeHtml.
 */
import type { RunRecord } from '../../core/records';
import type { Comparison } from '../compare/compare';
import { evaluatorNames } from '../compare/per-example';
import { escapeHtml as e } from './escape';
import { histogram, histogramSvg, runScores, sharedRange } from './histogram';
import type { ReportLinks } from './links';
import { comparisonTable, costliestTable, failuresList, flipsTable, slowestTable, summaryTable, TOP_RUNS } from './tables';

export interface ReportSide {
  name: string;
  runs: readonly RunRecord[];
}

export interface ReportInput {
  experiment: ReportSide;
  /** The experiment compared with (`--vs`): in the comparison, a is `experiment` and b is this one. */
  vs?: { side: ReportSide; comparison: Comparison };
  links: ReportLinks;
  generatedAt: string;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d2433;max-width:1100px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d8dde6;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d8dde6;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f9}code{font-size:.9em;word-break:break-all}.bad{color:#b42318}.none{color:#5b6475}
.histograms{display:flex;flex-wrap:wrap;gap:1.5rem}.histograms figure{margin:0}
.bar.side-0{fill:#3b6fd8}.bar.side-1{fill:#e0822d}.axis{stroke:#98a2b3}svg text{font-size:10px;fill:#5b6475}
.legend span{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em}.legend .side-0{background:#3b6fd8}.legend .side-1{background:#e0822d}
`;

export function renderReport(input: ReportInput): string {
  const a = input.experiment;
  const b = input.vs?.side;
  const sides = b ? [a, b] : [a];
  const title = b ? `${a.name} vs ${b.name}` : a.name;
  const parts: string[] = [];
  parts.push(`<h1>dxp report: ${e(title)}</h1>`);
  parts.push(`<p class="none">Generated ${e(input.generatedAt)}${b ? `; a = <strong>${e(a.name)}</strong>, b = <strong>${e(b.name)}</strong>` : ''}.</p>`);
  parts.push(`<h2>Summary</h2>${summaryTable(sides)}`);
  if (input.vs) {
    const c = input.vs.comparison;
    parts.push(`<h2>Comparison</h2><p>Paired over the ${c.commonExamples} examples both have (repetitions averaged per example first).</p>${comparisonTable(c)}`);
  }
  parts.push(`<h2>Score histograms</h2>${histograms(sides)}`);
  if (input.vs) {
    const c = input.vs.comparison;
    parts.push(`<h2>Flips</h2><p>Pass: the example's score (mean over its repetitions) ≥ ${c.passThreshold}.</p>${flipsTable(c)}${failuresList(c)}`);
  }
  sides.forEach((side, i) => {
    const suffix = i === 0 ? 'a' : 'b';
    parts.push(`<h2>Slowest ${TOP_RUNS} runs of ${e(side.name)}</h2>${slowestTable(`slowest-${suffix}`, side.runs, input.links)}`);
    parts.push(`<h2>Most expensive ${TOP_RUNS} runs of ${e(side.name)}</h2>${costliestTable(`costliest-${suffix}`, side.runs, input.links)}`);
  });
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(title)}</title><style>${CSS}</style></head>\n<body>\n${parts.join('\n')}\n</body></html>\n`
  );
}

function histograms(sides: ReportSide[]): string {
  const names = [...new Set(sides.flatMap((s) => evaluatorNames(s.runs)))].sort();
  const figures = names.flatMap((name) => {
    const scores = sides.map((s) => runScores(s.runs, name));
    if (scores.every((list) => list.length === 0)) return [];
    const range = sharedRange(...scores);
    const svg = histogramSvg(name, sides.map((s, i) => ({ name: s.name, histogram: histogram(scores[i]!, range) })));
    return [`<figure>${svg}<figcaption>${e(name)}</figcaption></figure>`];
  });
  const legend = sides.length > 1 ? `<p class="legend">${sides.map((s, i) => `<span class="side-${i}"></span>${e(s.name)}`).join('')}</p>` : '';
  return figures.length ? `${legend}<div class="histograms">${figures.join('')}</div>` : '<p class="none">No scores to show.</p>';
}
