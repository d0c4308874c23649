/**
 * Score histograms as inline SVG: runs' scores of one evaluator in ten equal bins over [0, 1]
 * (widened to the scores' own range when they fall outside it); with two experiments, their bars
 * side by side in each bin. Every bin has a bar, an empty one of height 0, so counts are readable
 * from `data-count` (and the `<title>` a browser shows on hover).
 */
import type { RunRecord } from '../../core/records';
import { escapeHtml } from './escape';

export const BINS = 10;

export interface Histogram {
  min: number;
  max: number;
  /** Count per bin; bin i is [min + i·w, min + (i+1)·w), the last one closed. */
  counts: number[];
}

export function runScores(runs: readonly RunRecord[], evaluator: string): number[] {
  const scores: number[] = [];
  for (const run of runs) {
    const score = run.evaluations?.[evaluator]?.score;
    if (run.duplicateRow === undefined && typeof score === 'number' && Number.isFinite(score)) scores.push(score);
  }
  return scores;
}

export function histogram(scores: readonly number[], range?: { min: number; max: number }): Histogram {
  const min = range?.min ?? Math.min(0, ...scores);
  const max = range?.max ?? Math.max(1, ...scores);
  const counts = new Array<number>(BINS).fill(0);
  const width = (max - min) / BINS;
  for (const s of scores) counts[Math.min(BINS - 1, Math.max(0, Math.floor((s - min) / width)))]!++;
  return { min, max, counts };
}

/** One shared range for both experiments, so their bins line up. */
export function sharedRange(...lists: (readonly number[])[]): { min: number; max: number } {
  const all = lists.flat();
  return { min: Math.min(0, ...all), max: Math.max(1, ...all) };
}

const WIDTH = 420;
const HEIGHT = 140;
const AXIS = 18;

export function histogramSvg(evaluator: string, sides: { name: string; histogram: Histogram }[]): string {
  const top = Math.max(1, ...sides.flatMap((s) => s.histogram.counts));
  const binWidth = WIDTH / BINS;
  const barWidth = (binWidth - 4) / sides.length;
  const { min, max } = sides[0]!.histogram;
  const step = (max - min) / BINS;
  const bars: string[] = [];
  sides.forEach((side, s) => {
    side.histogram.counts.forEach((count, i) => {
      const h = ((HEIGHT - AXIS) * count) / top;
      const x = i * binWidth + 2 + s * barWidth;
      const low = min + i * step;
      const range = `${fmt(low)}–${fmt(low + step)}${i === BINS - 1 ? ']' : ')'}`;
      bars.push(
        `<rect class="bar side-${s}" data-side="${escapeHtml(side.name)}" data-bin="${i}" data-count="${count}" x="${x.toFixed(1)}" y="${(HEIGHT - AXIS - h).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}">` +
          `<title>${escapeHtml(side.name)}: ${count} run${count === 1 ? '' : 's'} scored [${range}</title></rect>`,
      );
    });
  });
  const labels = [0, BINS / 2, BINS].map((i) => `<text x="${i === 0 ? 0 : i === BINS ? WIDTH : WIDTH / 2}" y="${HEIGHT - 4}" text-anchor="${i === 0 ? 'start' : i === BINS ? 'end' : 'middle'}">${fmt(min + i * step)}</text>`);
  return (
    `<svg class="histogram" data-evaluator="${escapeHtml(evaluator)}" role="img" aria-label="${escapeHtml(`score histogram of ${evaluator}`)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg">` +
    `<line x1="0" y1="${HEIGHT - AXIS}" x2="${WIDTH}" y2="${HEIGHT - AXIS}" class="axis"/>${bars.join('')}${labels.join('')}</svg>`
  );
}

function fmt(n: number): string {
  return Number(n.toFixed(2)).toString();
}
