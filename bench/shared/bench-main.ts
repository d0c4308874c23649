/** What both benchmark entry points do around their runners: the shared workflow bundle, the closing lines, the exit code. */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { fmt } from './report';

/** Bundled once and shared: bundling takes seconds and is not part of any runner's cost. Default: dxp's workflows. */
export async function bundleWorkflows(workflowsPath = require.resolve('../../workflows'), what = 'workflow bundle'): Promise<{ code: string }> {
  const t = performance.now();
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  console.log(`${what} built in ${fmt((performance.now() - t) / 1000, 1)} s`);
  return workflowBundle;
}

/** Prints the total time, writes the results file with it, and removes the work dir. */
export function finishBench(benchStart: number, workDir: string, writeResults: (totalSeconds: number) => string): void {
  const totalSeconds = (performance.now() - benchStart) / 1000;
  console.log(`bench total ${fmt(totalSeconds, 1)} s`);
  const outFile = writeResults(totalSeconds);
  console.log(`figures written to ${outFile}`);
  rmSync(workDir, { recursive: true, force: true });
}

/** Exits 0 when `main` resolves; prints the error and exits 1 when it rejects. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
