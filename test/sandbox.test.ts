/**
 * Hostile code in sandboxes (the ideas of openedx/codejail's tests): each attack must end with a
 * clear RunResult while this process and the other sandboxes carry on. Guests are python3 and sh.
 * The bubblewrap suite needs bwrap with namespaces (scripts/setup.sh installs it); without it the
 * suite is skipped with a message, unless DXP_REQUIRE_SANDBOX=1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  createSandboxProvider,
  SandboxError,
  WEAK_ISOLATION_WARNING,
  withSandbox,
  type RunResult,
  type Sandbox,
  type SandboxProvider,
} from '../activities/sandbox';
import { waitFor } from './helpers/processes';
import { connectProgram, ifIsolated, withLoopLag } from './helpers/sandbox';

const MB = 1024 * 1024;
const CANARY_NAME = 'DXP_SANDBOX_TEST_CANARY';
const CANARY_VALUE = `canary-${process.pid}-${Date.now()}`;

const describeIsolated = ifIsolated(describe, 'sandbox.test', 'the bubblewrap suite');

/** Processes on the host owned by `uid`. */
function processesOf(uid: number): string[] {
  const out = execFileSync('ps', ['-e', '-o', 'uid=,pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.split(/\s+/)[0] === String(uid));
}

function describeRun(r: RunResult): string {
  return JSON.stringify({ ...r, stdout: r.stdout.slice(0, 500), stderr: r.stderr.slice(0, 500) });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeIsolated('bubblewrap sandbox with hostile code', () => {
  let provider: SandboxProvider;
  let sandbox: Sandbox;
  let neighbour: Sandbox;

  beforeAll(async () => {
    process.env[CANARY_NAME] = CANARY_VALUE;
    provider = await createSandboxProvider({ requireIsolation: true });
    sandbox = await provider.provision({ limits: { wallTimeMs: 10_000 } });
    neighbour = await provider.provision();
  });

  afterAll(async () => {
    delete process.env[CANARY_NAME];
    await sandbox?.teardown();
    await neighbour?.teardown();
  });

  test('the provider is bubblewrap, with memory and pids cgroups or warnings saying what is missing', () => {
    expect(provider.isolation).toBe('bubblewrap');
    expect(sandbox.isolation).toBe('bubblewrap');
    expect(sandbox.warnings).toEqual(provider.warnings);
    expect(sandbox.workDir.endsWith('/work')).toBe(true);
  });

  test('a fork bomb hits the process limit and is killed, while this process and another sandbox carry on', async () => {
    const started = performance.now();
    const bomb = sandbox.run(['python3', '-c', 'import os\nwhile True:\n    try: os.fork()\n    except OSError: pass'], {
      limits: { maxProcesses: 32, wallTimeMs: 8_000 },
    });
    let bombEnded = false;
    const ended = () => {
      bombEnded = true;
    };
    bomb.then(ended, ended);
    const uid = statSync(sandbox.workDir).uid;
    await waitFor(() => bombEnded || processesOf(uid).length >= 2, {
      timeoutMs: 5_000,
      describe: () => `the fork bomb to be forking (2+ processes of uid ${uid}): ${processesOf(uid).join('; ') || 'none'}`,
    });
    const [other, lag] = await withLoopLag(() => neighbour.run(['sh', '-c', 'echo alive; ls /proc | grep -c "^[0-9]"']));
    const result = await bomb;
    expect(performance.now() - started).toBeLessThan(8_500);
    expect(result.exitCode).toBeNull();
    expect(['processes', 'wall-time']).toContain(result.killedBy);
    if (!provider.warnings.some((w) => w.startsWith('no pids cgroup'))) expect(result.killedBy).toBe('processes');
    expect(other.exitCode).toBe(0);
    expect(other.stdout).toMatch(/^alive\n\d+\n$/);
    expect(Number(other.stdout.split('\n')[1])).toBeLessThan(10); // its own pid namespace: no bomb in sight
    expect(lag).toBeLessThan(1_000);
    expect(processesOf(statSync(sandbox.workDir).uid)).toEqual([]);
  }, 20_000);

  test('allocating twice the memory limit is killed as memory', async () => {
    const result = await sandbox.run(['python3', '-c', `x = bytearray(${128 * MB})\nx[::4096] = b"x" * len(x[::4096])\nprint("survived")`], {
      limits: { memoryBytes: 64 * MB },
    });
    expect(result.stdout).not.toContain('survived');
    expect(result.exitCode).not.toBe(0);
    if (provider.warnings.some((w) => w.startsWith('no memory cgroup'))) {
      expect(result.stderr).toContain('MemoryError');
    } else {
      expect(result).toMatchObject({ killedBy: 'memory', exitCode: 137, signal: 'SIGKILL' });
    }
  }, 15_000);

  test('Node starts under the memory limit (a cgroup, not RLIMIT_AS)', async () => {
    const result = await sandbox.run(['node', '-e', 'console.log(1 + 1)'], { limits: { memoryBytes: 256 * MB } });
    expect(describeRun(result)).toContain('"exitCode":0');
    expect(result.stdout).toBe('2\n');
  }, 15_000);

  test('a busy loop is killed by the CPU limit', async () => {
    const result = await sandbox.run(['python3', '-c', 'while True: pass'], { limits: { cpuSeconds: 1, wallTimeMs: 10_000 } });
    expect(result).toMatchObject({ killedBy: 'cpu', timedOut: true, signal: 'SIGXCPU' });
    expect(result.durationMs).toBeLessThan(4_000);
  }, 15_000);

  test('a sleeping or blocked command is killed by the wall-time limit', async () => {
    const result = await sandbox.run(['sh', '-c', 'sleep 60'], { limits: { wallTimeMs: 700 } });
    expect(result).toMatchObject({ killedBy: 'wall-time', timedOut: true, exitCode: null, signal: 'SIGKILL' });
    expect(result.durationMs).toBeGreaterThanOrEqual(650);
    expect(result.durationMs).toBeLessThan(2_000);
  }, 10_000);

  test('100 MB to stdout is cut at the output cap', async () => {
    const script = 'import sys\nchunk = "x" * 65536\nfor _ in range(1600): sys.stdout.write(chunk)\nsys.stdout.flush()';
    const result = await sandbox.run(['python3', '-c', script], { limits: { maxOutputBytes: MB } });
    expect(result).toMatchObject({ outputTruncated: true, killedBy: 'output', exitCode: null });
    expect(Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr)).toBe(MB);
    expect(result.durationMs).toBeLessThan(5_000);
  }, 15_000);

  describe('network', () => {
    let server: Server;
    let port: number;

    beforeAll(async () => {
      server = createServer((_req, res) => res.end('host secret'));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      port = (server.address() as AddressInfo).port;
    });

    afterAll(async () => {
      server.close();
      await once(server, 'close');
    });

    test('cannot reach a server on the host loopback, nor an external address', async () => {
      const local = await sandbox.run(['python3', '-c', connectProgram('127.0.0.1', port)]);
      expect(local.stdout).toMatch(/^FAILED/);
      const external = await sandbox.run(['python3', '-c', connectProgram('1.1.1.1', 80)]);
      expect(external.stdout).toMatch(/^FAILED/);
      expect(external.durationMs).toBeLessThan(2_500);
    }, 15_000);

    test('reaches it when the run allows network (so the test above means something)', async () => {
      const result = await sandbox.run(['python3', '-c', connectProgram('127.0.0.1', port)], { limits: { network: true } });
      expect(result.stdout).toContain('host secret');
    }, 15_000);
  });

  test('/etc/passwd shows no host users and the worker environment is invisible', async () => {
    const result = await sandbox.run(
      ['sh', '-c', 'cat /etc/passwd; echo ---; env; echo ---; cat /proc/1/environ; cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n"; ls /root /home 2>&1; true'],
      { env: { GIVEN: 'by-caller' } },
    );
    const [passwd = '', env = ''] = result.stdout.split('---\n');
    expect(passwd).toMatch(/^sandbox:x:\d+:\d+:/);
    expect(passwd).not.toMatch(/^root:/m);
    expect(env).toContain('GIVEN=by-caller');
    expect(env).toContain('HOME=/work');
    expect(result.stdout + result.stderr).not.toContain(CANARY_VALUE);
    expect(result.stdout + result.stderr).not.toContain(CANARY_NAME);
    expect(result.stdout + result.stderr).toMatch(/ls: cannot access '\/root'/);
  }, 10_000);

  test('a double-forked process dies with the run: the marker stops growing and no process is left', async () => {
    const uid = statSync(sandbox.workDir).uid;
    const marker = join(sandbox.workDir, 'marker');
    const result = await sandbox.run([
      'sh',
      '-c',
      'setsid sh -c "while true; do echo x >> /work/marker; sleep 0.1; done" > /dev/null 2>&1 < /dev/null & sleep 0.5; echo parent-done',
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('parent-done\n');
    const size = statSync(marker).size;
    expect(size).toBeGreaterThan(0);
    await sleep(400); // the point: the marker (appended every 0.1 s while its writer lives) does not grow within 400 ms
    expect(statSync(marker).size).toBe(size);
    expect(processesOf(uid)).toEqual([]);
  }, 10_000);

  test('teardown kills a run in flight, double-forked children included', async () => {
    const doomed = await provider.provision();
    const uid = statSync(doomed.workDir).uid;
    const run = doomed.run(['sh', '-c', 'setsid sh -c "while true; do echo x >> /work/m; sleep 0.1; done" & sleep 60']);
    const m = join(doomed.workDir, 'm');
    await waitFor(() => existsSync(m) && statSync(m).size > 0, {
      timeoutMs: 5_000,
      describe: () => `the double-forked child to write ${m}; processes of uid ${uid}: ${processesOf(uid).join('; ') || 'none'}`,
    });
    expect(processesOf(uid).length).toBeGreaterThan(0);
    const started = performance.now();
    await doomed.teardown();
    const result = await run;
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(result.killedBy).toBe('cancelled');
    expect(existsSync(doomed.workDir)).toBe(false);
    expect(processesOf(uid)).toEqual([]);
    await doomed.teardown(); // idempotent
    await expect(doomed.run(['true'])).rejects.toMatchObject({ code: 'SANDBOX_TORN_DOWN' });
  }, 10_000);

  test('writing outside the work dir fails; its /tmp is private', async () => {
    const name = `dxp-sandbox-escape-${process.pid}-${Date.now()}`;
    const result = await sandbox.run([
      'sh',
      '-c',
      `for f in /usr/${name} /etc/${name} /${name} /proc/${name}; do echo x > $f 2>/dev/null && echo "WROTE $f"; done; ` +
        `echo x > /tmp/${name} && echo "tmp ok"; touch /work/inside && echo "work ok"`,
    ]);
    expect(result.stdout).not.toContain('WROTE');
    expect(result.stdout).toContain('tmp ok');
    expect(result.stdout).toContain('work ok');
    expect(existsSync(join('/tmp', name))).toBe(false);
    expect(existsSync(join('/usr', name))).toBe(false);
    expect(existsSync(join('/etc', name))).toBe(false);
    expect(existsSync(join(sandbox.workDir, 'inside'))).toBe(true);
  }, 10_000);

  test('the work dir is private: two sandboxes cannot see each other\'s files', async () => {
    await sandbox.writeFile('secret.txt', 'only for sandbox one');
    const peek = await neighbour.run([
      'sh',
      '-c',
      `ls -a /work; cat ${sandbox.workDir}/secret.txt; find / -path /proc -prune -o -path /usr -prune -o -name secret.txt -print 2>/dev/null; echo end`,
    ]);
    expect(peek.stdout).not.toContain('secret.txt');
    expect(peek.stdout).not.toContain('only for sandbox one');
    expect(peek.stdout).toMatch(/end\n$/);
    expect(sandbox.workDir).not.toBe(neighbour.workDir);
    expect(statSync(sandbox.workDir).uid).not.toBe(statSync(neighbour.workDir).uid);
  }, 15_000);

  test('files go in, results come out via readFile, and paths cannot escape the work dir', async () => {
    const result = await sandbox.run(
      ['python3', 'job/main.py'],
      {
        files: { 'job/main.py': 'import sys, os\nos.makedirs("out", exist_ok=True)\nopen("out/result.txt", "w").write(open("job/data.txt").read().upper() + sys.stdin.read())', 'job/data.txt': 'hello ' },
        stdin: 'world',
      },
    );
    expect(describeRun(result)).toContain('"exitCode":0');
    expect(await sandbox.readFile('out/result.txt', 'utf8')).toBe('HELLO world');
    expect(Buffer.isBuffer(await sandbox.readFile('out/result.txt'))).toBe(true);

    // the guest plants symlinks to host files; the host side must not follow them out
    await sandbox.run(['sh', '-c', 'ln -s /etc/passwd leak; ln -s /etc hostetc; ln -s out/result.txt inside-link']);
    for (const bad of ['../etc/passwd', '/etc/passwd', 'leak', 'hostetc/passwd', 'out/../../x']) {
      await expect(sandbox.readFile(bad)).rejects.toMatchObject({ code: 'SANDBOX_PATH_ESCAPE' });
    }
    expect(await sandbox.readFile('inside-link', 'utf8')).toBe('HELLO world');
    const passwdBefore = readFileSync('/etc/passwd', 'utf8');
    for (const bad of ['leak', 'hostetc/dxp-x', '../x', '/tmp/x']) {
      await expect(sandbox.writeFile(bad, 'pwned')).rejects.toBeInstanceOf(SandboxError);
    }
    expect(readFileSync('/etc/passwd', 'utf8')).toBe(passwdBefore);
    expect(existsSync('/etc/dxp-x')).toBe(false);
    await expect(sandbox.run(['true'], { cwd: '../..' })).rejects.toMatchObject({ code: 'SANDBOX_PATH_ESCAPE' });
    await expect(sandbox.readFile('missing.txt')).rejects.toMatchObject({ code: 'SANDBOX_FILE_NOT_FOUND' });
  }, 15_000);

  test('aborting the signal stops a long run within a second', async () => {
    const controller = new AbortController();
    const run = sandbox.run(['python3', '-c', 'import time\ntime.sleep(60)'], { signal: controller.signal });
    const uid = statSync(sandbox.workDir).uid;
    await waitFor(() => processesOf(uid).some((p) => p.includes('python3')), {
      timeoutMs: 5_000,
      describe: () => `python3 to be running as uid ${uid}: ${processesOf(uid).join('; ') || 'none'}`,
    });
    const aborted = performance.now();
    controller.abort();
    const result = await run;
    expect(performance.now() - aborted).toBeLessThan(1_000);
    expect(result).toMatchObject({ killedBy: 'cancelled', exitCode: null, timedOut: false });
    const already = await sandbox.run(['true'], { signal: AbortSignal.abort() });
    expect(already.killedBy).toBe('cancelled');
  }, 10_000);
});

describe('weak provider', () => {
  test('runs commands with a cleared env and the work dir as cwd, under wall and output caps, and says it is weak', async () => {
    process.env[CANARY_NAME] = CANARY_VALUE;
    try {
      const provider = await createSandboxProvider({ prefer: 'weak' });
      expect(provider.isolation).toBe('weak');
      expect(provider.warnings[0]).toBe(WEAK_ISOLATION_WARNING);
      expect(WEAK_ISOLATION_WARNING).toContain('no filesystem or network isolation');
      await withSandbox(provider, async (sandbox) => {
        expect(sandbox.isolation).toBe('weak');
        expect(sandbox.warnings).toContain(WEAK_ISOLATION_WARNING);
        const result = await sandbox.run(['sh', '-c', 'pwd; env; echo made > made.txt'], { env: { GIVEN: '1' } });
        expect(result.exitCode).toBe(0);
        expect(result.stdout.split('\n')[0]).toBe(sandbox.workDir);
        expect(result.stdout).toContain('GIVEN=1');
        expect(result.stdout).not.toContain(CANARY_VALUE);
        expect(await sandbox.readFile('made.txt', 'utf8')).toBe('made\n');

        const slow = await sandbox.run(['sleep', '30'], { limits: { wallTimeMs: 300 } });
        expect(slow).toMatchObject({ killedBy: 'wall-time', timedOut: true });
        const loud = await sandbox.run(['python3', '-c', 'import sys\nwhile True: sys.stdout.write("y" * 65536)'], {
          limits: { maxOutputBytes: 64 * 1024 },
        });
        expect(loud).toMatchObject({ killedBy: 'output', outputTruncated: true });
        expect(loud.stdout.length).toBe(64 * 1024);
        await expect(sandbox.readFile('../../etc/passwd')).rejects.toMatchObject({ code: 'SANDBOX_PATH_ESCAPE' });
      });
    } finally {
      delete process.env[CANARY_NAME];
    }
  }, 20_000);

  test('withSandbox tears down when the callback throws', async () => {
    const provider = await createSandboxProvider({ prefer: 'weak' });
    let workDir = '';
    await expect(
      withSandbox(provider, async (sandbox) => {
        workDir = sandbox.workDir;
        throw new Error('step failed');
      }),
    ).rejects.toThrow('step failed');
    expect(workDir).not.toBe('');
    expect(existsSync(workDir)).toBe(false);
  });

  test('the first sandbox in a folder removes the dirs that dead workers left there, and only those', async () => {
    const rootDir = mkdtempSync(join(tmpdir(), 'dxp-sweep-'));
    const deadPid = spawnSync('true').pid;
    const stale = join(rootDir, `dxp-sbx-${deadPid}-stale`);
    const live = join(rootDir, `dxp-sbx-${process.ppid}-live`);
    const other = join(rootDir, 'not-a-sandbox');
    for (const dir of [join(stale, 'work'), live, other]) mkdirSync(dir, { recursive: true });
    writeFileSync(join(stale, 'work', 'left.txt'), 'left behind');
    const provider = await createSandboxProvider({ prefer: 'weak', weak: { rootDir } });
    await withSandbox(provider, (sandbox) => {
      expect(sandbox.workDir.startsWith(join(rootDir, `dxp-sbx-${process.pid}-`))).toBe(true);
    });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
    rmSync(rootDir, { recursive: true, force: true });
  });
});
