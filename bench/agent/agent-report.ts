/** What the agent-loop benchmark prints: the opening line, the steady-load table, the storm table, and the formulas. */
import { cpus, loadavg, totalmem } from 'node:os';
import type { AgentOptions } from './agent-args';
import type { ScenarioResult } from './agent-scenario';
import { mb } from '../shared/process-stats';
import { fmt, table } from '../shared/report';

export function agentHeader(opts: AgentOptions, startRss: number, workDir: string): string {
  return (
    `agent-loop: N=${opts.n} examples, C=${opts.c}, ${opts.turns} turns each (${opts.turns - 1} tool turns + an answer), model latency ${opts.latencyMs} ms; ` +
    `storm ${opts.storm ? `on (N=${opts.stormN}, ${Math.round(opts.stormRate * 100)}% 429 with Retry-After: ${opts.retryAfterS})` : 'off'}; ` +
    `dev server db ${opts.serverDb}; node ${process.version}, ${cpus().length} CPU(s), ${mb(totalmem())} MB RAM; ` +
    `1-min load average ${fmt(loadavg()[0], 2)}; bench process RSS at start ${fmt(mb(startRss), 0)} MB; work dir ${workDir}`
  );
}

/** A runner minus the baseline loop, per turn: from wall time (× C / N, a concurrency slot's time per example) and from mean latency. */
export function overheadPerTurn(s: ScenarioResult, runner: 'pipeline' | 'floor' = 'pipeline'): { fromWallMs: number; fromLatencyMs: number } {
  const r = runner === 'floor' ? s.floor : s.pipeline;
  if (!r) return { fromWallMs: NaN, fromLatencyMs: NaN };
  return {
    fromWallMs: ((r.wallMs - s.baseline.wallMs) * r.concurrency) / s.n / s.turns,
    fromLatencyMs: (r.latencyMs.mean - s.baseline.latencyMs.mean) / s.turns,
  };
}

/** CPU ms (bench process + dev server) per model turn. */
const cpuPerTurn = (cpu: { benchProcessS: number; devServerS: number | null }, turns: number): number => ((cpu.benchProcessS + (cpu.devServerS ?? NaN)) * 1000) / turns;

/** The pipeline as ratios to its floor: overhead per turn, events per example, CPU per turn. */
export function agentVsFloor(s: ScenarioResult): string | undefined {
  const f = s.floor;
  if (!f) return undefined;
  const p = s.pipeline;
  const po = overheadPerTurn(s);
  const fo = overheadPerTurn(s, 'floor');
  const pc = cpuPerTurn(p.cpu, s.needed.modelRequests);
  const fc = cpuPerTurn(f.cpu, s.needed.modelRequests);
  return (
    `vs floor: overhead ms/turn ${fmt(po.fromWallMs, 0)} / ${fmt(fo.fromWallMs, 0)} = ${fmt(po.fromWallMs / fo.fromWallMs, 2)}; ` +
    `history ev/ex ${fmt(p.history.eventsPerExample, 1)} / ${fmt(f.history.eventsPerExample, 1)} = ${fmt((p.history.eventsPerExample ?? NaN) / (f.history.eventsPerExample ?? NaN), 2)}; ` +
    `CPU ms/turn (bench process + server) ${fmt(pc, 1)} / ${fmt(fc, 1)} = ${fmt(pc / fc, 2)}; ` +
    `1-min load ${fmt(p.cpu.loadAvg1Before, 2)} → ${fmt(p.cpu.loadAvg1After, 2)} (pipeline), ${fmt(f.cpu.loadAvg1Before, 2)} → ${fmt(f.cpu.loadAvg1After, 2)} (floor)`
  );
}

export function steadyReport(s: ScenarioResult): string {
  const p = s.pipeline;
  const b = s.baseline;
  const over = overheadPerTurn(s);
  const out: string[] = [];
  out.push(`\n== agent loop, steady model (N=${s.n}, C=${p.concurrency}, ${s.turns} turns, ${s.needed.modelRequests} model calls, ${s.needed.toolExecutions} tool calls) ==`);
  out.push(
    table(
      ['runner', 'wall s', 'examples/s', 'mean latency ms', 'p95 ms', 'overhead ms/turn', 'history ev/ex', 'history KiB/ex', 'peak RSS MB', 'ok', 'failed'],
      [
        [
          'pipeline',
          fmt(p.wallMs / 1000, 2),
          fmt(p.examplesPerSec, 2),
          fmt(p.latencyMs.mean, 0),
          fmt(p.latencyMs.p95, 0),
          `${fmt(over.fromWallMs, 0)} (lat ${fmt(over.fromLatencyMs, 0)})`,
          fmt(p.history.eventsPerExample, 1),
          p.history.bytesPerExample === null ? 'n/a' : fmt(p.history.bytesPerExample / 1024, 1),
          `${fmt(p.rss.peakMb, 0)} (base ${fmt(p.rss.baselineMb, 0)})`,
          String(p.summary.succeeded),
          String(p.summary.failed),
        ],
        ...(s.floor
          ? [
              [
                'floor',
                fmt(s.floor.wallMs / 1000, 2),
                fmt(s.floor.examplesPerSec, 2),
                fmt(s.floor.latencyMs.mean, 0),
                fmt(s.floor.latencyMs.p95, 0),
                `${fmt(overheadPerTurn(s, 'floor').fromWallMs, 0)} (lat ${fmt(overheadPerTurn(s, 'floor').fromLatencyMs, 0)})`,
                fmt(s.floor.history.eventsPerExample, 1),
                s.floor.history.bytesPerExample === null ? 'n/a' : fmt(s.floor.history.bytesPerExample / 1024, 1),
                `${fmt(s.floor.rss.peakMb, 0)} (base ${fmt(s.floor.rss.baselineMb, 0)})`,
                String(s.floor.succeeded),
                String(s.floor.failed),
              ],
            ]
          : []),
        [
          'in-process loop',
          fmt(b.wallMs / 1000, 2),
          fmt(b.examplesPerSec, 2),
          fmt(b.latencyMs.mean, 0),
          fmt(b.latencyMs.p95, 0),
          '-',
          '-',
          '-',
          `${fmt(b.rss.peakMb, 0)} (base ${fmt(b.rss.baselineMb, 0)})`,
          String(b.succeeded),
          String(b.failed),
        ],
      ],
    ),
  );
  const vs = agentVsFloor(s);
  if (vs) out.push(vs);
  out.push(...pipelineDetail(s));
  return out.join('\n');
}

export function stormReport(s: ScenarioResult, opts: AgentOptions): string {
  const p = s.pipeline;
  const b = s.baseline;
  const out: string[] = [];
  out.push(
    `\n== agent loop, 429 storm (N=${s.n}, C=${p.concurrency}, ${s.turns} turns; ${Math.round(s.rate429 * 100)}% of model requests answered 429 at once with Retry-After: ${opts.retryAfterS}) ==`,
  );
  const row = (runner: string, succeeded: number, failed: number, r: ScenarioResult['pipeline'] | ScenarioResult['baseline']): string[] => [
    runner,
    `${succeeded}/${s.n}`,
    String(failed),
    `${r.model.requests} (${r.model.answered} ok + ${r.model.rateLimited} 429)`,
    String(s.needed.modelRequests),
    String(r.model.turnsAnsweredTwice),
    String(r.tools.executions),
    String(s.needed.toolExecutions),
    String(r.tools.callsRunTwice),
    fmt(r.wallMs / 1000, 2),
  ];
  out.push(
    table(
      ['runner', 'examples ok', 'failed', 'model requests', 'min needed', 'turns paid twice', 'tool executions', 'needed', 'tool calls run twice', 'wall s'],
      [row('pipeline', p.summary.succeeded, p.summary.failed, p), row('in-process loop, no retries', b.succeeded, b.failed, b)],
    ),
  );
  out.push(
    `  the baseline is a plain loop with no retry logic, as an in-process agent loop is unless it adds its own: its first 429 ends the example ` +
      `(failures: ${Object.entries(b.failures)
        .map(([reason, count]) => `${count}× ${reason.slice(0, 120)}`)
        .join('; ') || 'none'}); it needs fewer requests and tools only because it stops early.`,
  );
  out.push(
    `  pipeline: every 429 is a failed attempt of that turn's activity, retried after Retry-After (nextRetryDelay); ` +
      `turn attempts on the run records ${p.records.turnAttempts}, model requests counted by the model ${p.model.requests}; tool attempts ${p.records.toolAttempts}; ` +
      `mean latency ${fmt(p.latencyMs.mean, 0)} ms, history ${fmt(p.history.eventsPerExample, 1)} events and ${fmt((p.history.bytesPerExample ?? NaN) / 1024, 1)} KiB/example ` +
      `(a retried attempt adds no events: only the last attempt's start is recorded, so "agentTurn: scheduled → started" below includes the Retry-After waits).`,
  );
  out.push(...pipelineDetail(s));
  return out.join('\n');
}

function pipelineDetail(s: ScenarioResult): string[] {
  const p = s.pipeline;
  const out: string[] = [];
  const share = p.cpu.devServerS !== null ? ((p.cpu.benchProcessS + p.cpu.devServerS) / p.cpu.wallS / p.cpu.cores) * 100 : NaN;
  out.push(
    `  pipeline detail: server start ${fmt(p.serverStartMs / 1000, 1)} s, worker start ${fmt(p.workerStartMs / 1000, 1)} s; ` +
      `records ${p.records.count}, stop reasons ${JSON.stringify(p.records.stopReasons)}; summary ${p.summary.status}, ` +
      `${p.summary.agentTurns ?? 'n/a'} turns and ${p.summary.agentToolCalls ?? 'n/a'} tool calls in all` +
      (p.records.firstErrors.length ? `; first errors: ${p.records.firstErrors.join(' | ')}` : ''),
  );
  out.push(
    `  CPU during the experiment: bench process (worker, client, loopback model) ${fmt(p.cpu.benchProcessS)} s, dev server (SQLite) ${fmt(p.cpu.devServerS)} s ` +
      `over ${fmt(p.cpu.wallS)} s on ${p.cpu.cores} cores = ${fmt(share, 0)}% of the machine; per model turn ${fmt(cpuPerTurn(p.cpu, s.needed.modelRequests), 1)} ms; ` +
      `1-min load average ${fmt(p.cpu.loadAvg1Before, 2)} before, ${fmt(p.cpu.loadAvg1After, 2)} after`,
  );
  out.push(
    `  history bytes from ${p.history.bytesSource ?? 'n/a'}; child events by type (mean of ${p.history.sampleSize}): ` +
      Object.entries(p.history.eventTypesSample)
        .map(([k, v]) => `${k} ${fmt(v, 1)}`)
        .join(', '),
  );
  out.push(
    `  where a turn's time goes (mean of ${p.history.sampleSize} histories, ms): ` +
      Object.entries(p.history.phasesMs)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join('; '),
  );
  return out;
}

export const AGENT_FORMULAS =
  '\nformulas: overhead ms/turn = (pipeline wall − loop wall) × C / N / turns, i.e. what each turn costs a concurrency slot beyond the loop; ' +
  '"lat" = (pipeline mean latency − loop mean latency) / turns; the floor\'s the same with its wall and latency (workflow start → end). vs floor = pipeline / floor. Latency: pipeline = RunRecord.durationMs (example workflow start → record); loop = around each conversation.\n' +
  'history ev/ex = mean historyLength of the example workflows (visibility); KiB/ex = mean history size (visibility historySize, else describe() of the sampled ones).\n' +
  'memory: the worker and the loopback model run in the bench process, so peak RSS is the whole bench process sampled every 200 ms (the dev server is not counted).\n' +
  'model requests are counted by the loopback model; tool executions by a ledger inside the tool; "turns paid twice" = (example, turn) answered 200 more than once; ' +
  'the storm refuses a request by a hash of (example, turn, attempt), so both runners meet the same 429s on the same first attempts.';
