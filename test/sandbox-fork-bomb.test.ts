/**
 * The classic `sh` fork bomb, which dash gives up on when a fork is refused: it fills the pids
 * limit within tens of milliseconds and collapses by itself, usually between two polls of the
 * fork-rate detector (50 refusals within 1 s), so its run is not killed as `processes` and, with
 * its main process alive, ends at its wall time. Meanwhile the worker and a neighbour sandbox carry
 * on, and nothing of it is left afterwards. Both providers (bubblewrap when it works here).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createSandboxProvider, type SandboxProvider } from '../activities/sandbox';
import { ifIsolated } from './helpers/sandbox';

const WALL_MS = 4_000;
const BOMB = ['sh', '-c', 'f(){ f|f& }; f; sleep 60'];

/** Live processes of `uid` on the host (zombies, already dead and waiting for init to reap them, left out). */
function processesOf(uid: number): string[] {
  return execFileSync('ps', ['-e', '-o', 'uid=,stat=,pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([owner, stat]) => owner === String(uid) && !stat?.startsWith('Z'))
    .map((fields) => fields.join(' '));
}

async function bombAndNeighbour(provider: SandboxProvider, label: string): Promise<void> {
  const sandbox = await provider.provision({ limits: { wallTimeMs: WALL_MS } });
  const neighbour = await provider.provision();
  try {
    let last = performance.now();
    let lag = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      lag = Math.max(lag, now - last);
      last = now;
    }, 10);
    const started = performance.now();
    let ended = false;
    const bomb = sandbox.run(BOMB).finally(() => (ended = true));
    const neighbourMs: number[] = [];
    while (!ended) {
      const t0 = performance.now();
      const alive = await neighbour.run(['sh', '-c', 'echo alive']);
      expect(alive.stdout).toBe('alive\n');
      neighbourMs.push(Math.round(performance.now() - t0));
      await new Promise((r) => setTimeout(r, 250)); // the point: probe the neighbour every 250 ms for as long as the bomb runs
    }
    const result = await bomb;
    clearInterval(ticker);
    console.log(
      `${label}: sh fork bomb ended after ${result.durationMs} ms (killedBy ${result.killedBy}); ` +
        `neighbour runs ${Math.min(...neighbourMs)}-${Math.max(...neighbourMs)} ms; event loop lag at most ${Math.round(lag)} ms`,
    );
    expect(result.exitCode).toBeNull();
    expect(['processes', 'wall-time']).toContain(result.killedBy);
    expect(performance.now() - started).toBeLessThan(WALL_MS + 1_500);
    expect(neighbourMs.length).toBeGreaterThan(0);
    expect(Math.max(...neighbourMs)).toBeLessThan(2_000);
    expect(lag).toBeLessThan(1_000);
    if (process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v setpriv']).status === 0) {
      expect(processesOf(statSync(sandbox.workDir).uid)).toEqual([]);
    }
  } finally {
    await sandbox.teardown();
    await neighbour.teardown();
  }
}

ifIsolated(test, 'sandbox-fork-bomb.test', 'the bubblewrap fork bomb')(
  'bubblewrap: an sh fork bomb is bounded by the pids limit and ends by its wall time at the latest; the worker and a neighbour carry on',
  async () => {
    await bombAndNeighbour(await createSandboxProvider({ requireIsolation: true }), 'bubblewrap');
  },
  20_000,
);

test('weak: an sh fork bomb is bounded by the pids limit and ends by its wall time at the latest; the worker and a neighbour carry on', async () => {
  await bombAndNeighbour(await createSandboxProvider({ prefer: 'weak' }), 'weak');
}, 20_000);
