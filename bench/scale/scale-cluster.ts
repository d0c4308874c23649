/**
 * The Temporal cluster on PostgreSQL as a scale target (scripts/cluster.sh, through the tests'
 * harness): one temporal-server process, PostgreSQL's postmaster and its backends, results in
 * PostgreSQL's dxp_results as a production worker fleet would share them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCluster } from '../../test/helpers/cluster';
import type { ScaleTarget } from './scale-target';
import { treeCpuSeconds } from './scale-proc';

const firstLineNumber = (file: string): number => Number(readFileSync(file, 'utf8').split('\n')[0]);

export async function startClusterTarget(): Promise<ScaleTarget> {
  const cluster = await startTestCluster({ startTimeoutMs: 300_000 });
  try {
    const serverPid = firstLineNumber(join(cluster.dir, 'server.pid'));
    const postmasterPid = firstLineNumber(join(cluster.pgDataDir, 'postmaster.pid'));
    if (!serverPid || !postmasterPid) throw new Error(`no server pid or postmaster pid in ${cluster.dir}`);
    const size = (db: string): number => Number(cluster.psql('temporal', `SELECT pg_database_size('${db}')`)[0]);
    return {
      kind: 'cluster',
      describe: `temporal-server 1.30.4 pid ${serverPid} on PostgreSQL postmaster pid ${postmasterPid} (port ${cluster.pgPort})`,
      address: cluster.address,
      namespace: cluster.namespace,
      workerEnv: { DXP_RESULTS_URL: cluster.resultsUrl },
      dataDir: join(cluster.dir, 'worker-data'),
      cpuSeconds: () => ({ server: treeCpuSeconds(serverPid), database: treeCpuSeconds(postmasterPid) }),
      storedBytes: () => ({ temporal: size('temporal') + size('temporal_visibility'), results: size('dxp_results') }),
      stop: () => cluster.stop(),
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}
