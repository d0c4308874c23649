/**
 * `npm run bench:tracing`: what tracing costs a run. The same experiment (N no-op examples with an
 * evaluator, C at a time) on a fresh dev server with tracing off, on into a real Phoenix, and on
 * with only the activities' spans (a bundle without the workflow interceptors), and into a collector
 * that is down (the port refuses) and one that hangs (accepts, never answers).
 * Prints wall time and per-example overhead against "off", CPU, peak RSS, the spans ended,
 * exported and failed, how long the worker and server took to stop, and then the span pipeline
 * (its last export is bounded by the export timeout).
 *
 *   npm run bench:tracing -- --n 300 --c 20 --repeat 3
 */
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { freePort } from '../../client/dev-server';
import { acquireTracing, type TracingLease } from '../../connection/process-tracing';
import { tracingConfigFromEnv } from '../../connection/tracing-config';
import { WORKFLOW_TRACING_MODULES } from '../../workers/tracing';
import { startPhoenix, type PhoenixServer } from '../../test/helpers/phoenix';
import { tempDir } from '../../test/helpers/temporal';
import { benchModule, BENCH_EVALUATOR } from '../shared/bench-tasks';
import { writeDataset } from '../shared/dataset';
import { machineFields, writeResultsJson } from '../shared/results-json';
import { runOnDevServer } from '../shared/dev-server';

/** `activities`: into Phoenix, but with a bundle without the workflow interceptors (activity spans only). */
type Mode = 'off' | 'phoenix' | 'activities' | 'refused' | 'hanging';

interface ModeFigures {
  mode: Mode;
  /** Median of the repeats; each repeat runs every mode once, in turn, so drift hits all alike. */
  repeats: number;
  wallsS: number[];
  wallS: number;
  perExampleMs: number;
  overheadVsOffMs: number | null;
  cpuS: number;
  devServerCpuS: number | null;
  peakRssMb: number;
  spans: { ended: number; exported: number; failed: number; unaccounted: number } | null;
  workerStopMs: number;
  /** The span pipeline's shutdown after the worker stopped: the last export, bounded by its timeout. */
  pipelineStopMs: number | null;
  succeeded: number;
}

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/** Accepts connections and never answers: an export to it only ends by its timeout. */
async function hangingCollector(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function main(): Promise<void> {
  const n = arg('n', 300);
  const c = arg('c', 20);
  const workDir = tempDir('dxp-bench-tracing-');
  const { datasetPath } = writeDataset(workDir, n);
  const plain = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
  const traced = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), workflowInterceptorModules: WORKFLOW_TRACING_MODULES, logger: new DefaultLogger('WARN') });
  const phoenix: PhoenixServer = await startPhoenix();
  const hanging = await hangingCollector();
  const refusedUrl = `http://127.0.0.1:${await freePort()}/v1/traces`;
  const endpoints: Record<Exclude<Mode, 'off'>, string> = { phoenix: phoenix.tracesUrl, activities: phoenix.tracesUrl, refused: refusedUrl, hanging: hanging.url };
  const repeats = arg('repeat', 3);
  const runs = new Map<Mode, Omit<ModeFigures, 'repeats' | 'wallsS' | 'overheadVsOffMs'>[]>();
  try {
    for (let r = 0; r < repeats; r++) for (const mode of ['off', 'phoenix', 'activities', 'refused', 'hanging'] as const) {
      process.stdout.write(`${mode}: `);
      const serviceEnv: NodeJS.ProcessEnv = mode === 'off' ? {} : { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoints[mode], DXP_TRACE_PROJECT: `bench-${mode}` };
      const config = tracingConfigFromEnv(serviceEnv);
      // Held across the worker's stop, so the counts can be read after it: the worker shares it.
      const lease: TracingLease | undefined = config.enabled ? acquireTracing(config) : undefined;
      let stopStarted = 0;
      const figures = await runOnDevServer(
        {
          label: mode,
          workDir,
          serverDb: 'memory',
          dataDir: join(workDir, `store-${mode}-${r}`),
          taskQueue: `bench-tracing-${mode}`,
          c,
          module: benchModule,
          workflowBundle: mode === 'off' || mode === 'activities' ? plain : traced,
          serviceEnv,
          spec: { name: `tracing-${mode}-${r}`, dataset: { path: datasetPath }, task: 'bench-noop', evaluators: [BENCH_EVALUATOR], concurrency: c },
        },
        async (m) => {
          stopStarted = performance.now();
          return m;
        },
      );
      const workerStopMs = performance.now() - stopStarted;
      const counts = lease ? { ...lease.tracing.counts(), unaccounted: lease.tracing.unaccounted() } : null;
      const t = performance.now();
      await lease?.release();
      const pipelineStopMs = lease ? Math.round(performance.now() - t) : null;
      runs.set(mode, [...(runs.get(mode) ?? []), {
        mode,
        wallS: round(figures.wallMs / 1000, 2),
        perExampleMs: round(figures.wallMs / n, 2),
        cpuS: round(figures.cpu.benchProcessS, 2),
        devServerCpuS: figures.cpu.devServerS === null ? null : round(figures.cpu.devServerS, 2),
        peakRssMb: figures.rss.peakMb,
        spans: counts,
        workerStopMs: Math.round(workerStopMs),
        pipelineStopMs,
        succeeded: figures.summary.succeeded,
      }]);
      console.log(`${figures.summary.succeeded}/${n} in ${round(figures.wallMs / 1000, 2)} s`);
    }
  } finally {
    await hanging.close();
    await phoenix.stop();
  }
  const results: ModeFigures[] = [];
  for (const [mode, all] of runs) {
    const median = [...all].sort((a, b) => a.wallS - b.wallS)[Math.floor(all.length / 2)]!;
    const off = results[0];
    results.push({ ...median, mode, repeats: all.length, wallsS: all.map((x) => x.wallS), overheadVsOffMs: off ? round(((median.wallS - off.wallS) * 1000) / n, 2) : null });
  }
  console.log(`\ntracing: N=${n}, C=${c}, bench-noop + ${BENCH_EVALUATOR} on a fresh dev server per run; the median of ${repeats} runs per mode (its own figures)`);
  console.log('mode      wall s  ms/example  +ms/example  CPU s  server CPU s  peak RSS MB  spans ended/exported/failed  stop ms  pipeline stop ms');
  for (const r of results) {
    const spans = r.spans ? `${r.spans.ended}/${r.spans.exported}/${r.spans.failed}` : '-';
    console.log(
      `${r.mode.padEnd(9)} ${String(r.wallS).padStart(6)}  ${String(r.perExampleMs).padStart(10)}  ${String(r.overheadVsOffMs ?? '-').padStart(11)}  ${String(r.cpuS).padStart(5)}  ${String(r.devServerCpuS ?? '-').padStart(12)}  ${String(r.peakRssMb).padStart(11)}  ${spans.padStart(27)}  ${String(r.workerStopMs).padStart(7)}  ${String(r.pipelineStopMs ?? '-').padStart(16)}`,
    );
  }
  const file = writeResultsJson('tracing-latest.json', { ...machineFields(), n, c, results });
  console.log(`\nwritten to ${file}`);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
