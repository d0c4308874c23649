/**
 * The host side of a sandbox's files under attack (issue 9, defects 1 and 2): a program still
 * running in the sandbox swaps directories on the paths that `readFile`/`writeFile` use for
 * symlinks to a root-only host directory, or plants FIFOs where the host writes next. The secret
 * must never come back, nothing may appear in or change on the host directory, and every call must
 * end (a result or a SandboxError) within seconds while the worker's other fs work goes on.
 *
 * Both providers: the bubblewrap one needs bwrap with namespaces (skipped with a message unless
 * DXP_REQUIRE_SANDBOX=1); the races need root, where the weak provider drops to a sandbox uid too.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile as fsReadFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSandboxProvider,
  SandboxError,
  type RunResult,
  type Sandbox,
  type SandboxProvider,
} from '../activities/sandbox';
import { ifIsolated } from './helpers/sandbox';

const asRoot = process.getuid?.() === 0;
/**
 * How long each race runs (the three at once, per provider). Before the file API ran inside the
 * sandbox, each of the three breaches showed within 1.4 s (14-1,400 ms, 1-1,136 attempts, over
 * nine runs of this test); a transfer now costs ~15 ms alone, ~30-60 ms here with three guests
 * spinning on two cores, so 10 s is some 150-400 attempts per race.
 */
const RACE_MS = Number(process.env.DXP_RACE_MS ?? 10_000);
const RACE_ATTEMPTS = 100_000;
const SECRET = `root-only-secret-${process.pid}-${Date.now()}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `promise`, or a rejection after `ms`: a hang fails the test instead of the suite. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Settles `promise` into its value or error, with how long it took. */
async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const t0 = performance.now();
  try {
    return { value: await promise, ms: performance.now() - t0 };
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  }
}

/** Opens each FIFO read-write from a child process, which releases whatever is blocked in open() on it. */
function unblockFifos(paths: string[]): void {
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length) spawnSync('sh', ['-c', 'for f do exec 3<>"$f"; done; sleep 0.2', 'unblock', ...existing], { timeout: 5_000 });
}

/** Waits for the guest's marker file `marker` (its setup is done), failing if its run ends first. */
async function waitFor(sandbox: Sandbox, run: Promise<RunResult>, marker: string): Promise<void> {
  let ended: RunResult | undefined;
  void run.then((r) => (ended = r));
  const deadline = Date.now() + 15_000;
  while (!existsSync(join(sandbox.workDir, marker))) {
    if (ended) throw new Error(`the guest ended before it was ready: ${JSON.stringify(ended)}`);
    if (Date.now() > deadline) throw new Error('the guest did not get ready');
    await sleep(20);
  }
}

/**
 * Swaps `r` and `d` between a directory and a symlink to the host dir (renames, as fast as it can),
 * and replaces `out` by such a symlink whenever the host has just made it a directory.
 */
const SWAPPER = String.raw`
import os, sys, time
H = sys.argv[1]
which = sys.argv[2]
if which in ('r', 'd'):
    real, link = which + '.dir', which + '.link'
    os.makedirs(real, exist_ok=True)
    if which == 'r':
        open(real + '/secret.txt', 'w').write('decoy\n')
    os.symlink(H, link)
    open('ready.' + which, 'w').close()
    while True:
        for a, b in ((real, which), (which, real), (link, which), (which, link)):
            try:
                os.rename(a, b)
            except OSError:
                pass
        for leftover in (real + '/pwned.txt',):
            try:
                os.unlink(leftover)
            except OSError:
                pass
else:
    open('ready.out', 'w').close()
    while True:
        try:
            os.rmdir('out')
        except FileNotFoundError:
            continue
        except OSError:
            for leftover in ('out/f.txt',):
                try:
                    os.unlink(leftover)
                except OSError:
                    pass
            continue
        try:
            os.symlink(H, 'out')
            time.sleep(0.0005)
            os.unlink('out')
        except OSError:
            pass
`;

interface HostDir {
  path: string;
  check(): string | null;
  remove(): void;
}

/** A root-only host dir (0700) with a 0600 secret; `check()` says what changed, if anything. */
function rootOnlyHostDir(): HostDir {
  const path = mkdtempSync(join(tmpdir(), 'dxp-host-only-'));
  chmodSync(path, 0o700);
  writeFileSync(join(path, 'secret.txt'), `${SECRET}\n`, { mode: 0o600 });
  const before = statSync(path);
  return {
    path,
    check() {
      const now = statSync(path);
      const entries = readdirSync(path);
      if (now.uid !== before.uid || now.gid !== before.gid) return `owner changed to ${now.uid}:${now.gid}`;
      if (now.mode !== before.mode) return `mode changed to ${now.mode.toString(8)}`;
      if (entries.length !== 1 || entries[0] !== 'secret.txt') return `entries are now ${JSON.stringify(entries)}`;
      const secret = statSync(join(path, 'secret.txt'));
      if (secret.mode !== (0o100600 as number) || secret.uid !== before.uid) return 'the secret changed mode or owner';
      return null;
    },
    remove() {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

interface RaceTally {
  attempts: number;
  ok: number;
  sandboxErrors: number;
  otherErrors: string[];
  breach: string | null;
  /** How long the loop ran. */
  ms: number;
}

/** Calls `op` until `RACE_MS` or `RACE_ATTEMPTS` are up, or `breach()` says something got out. */
async function raceLoop(op: () => Promise<string | null>, breach: () => string | null): Promise<RaceTally> {
  const tally: RaceTally = { attempts: 0, ok: 0, sandboxErrors: 0, otherErrors: [], breach: null, ms: 0 };
  const started = performance.now();
  const deadline = started + RACE_MS;
  while (tally.attempts < RACE_ATTEMPTS && performance.now() < deadline && tally.breach === null) {
    tally.attempts++;
    const r = await settle(within(op(), 15_000, 'a file call during the race'));
    if (r.error instanceof SandboxError) tally.sandboxErrors++;
    else if (!r.error) tally.ok++;
    else if (tally.otherErrors.length < 5) tally.otherErrors.push(String(r.error)); // a hang, a raw fs error
    tally.breach = (r.value ?? null) || breach();
  }
  tally.ms = Math.round(performance.now() - started);
  return tally;
}

const providers: Array<[string, () => Promise<SandboxProvider>, boolean]> = [
  ['bubblewrap', () => createSandboxProvider({ requireIsolation: true }), true],
  ['weak', () => createSandboxProvider({ prefer: 'weak' }), false],
];

describe.each(providers)('host-side file API of the %s provider', (name, makeProvider, needsBwrap) => {
  const describeHere = needsBwrap ? ifIsolated(describe, 'sandbox-files.test', `the ${name} suite`) : describe;
  const raceTest = asRoot ? test : test.skip;
  if (!asRoot) console.warn(`sandbox-files.test: not root, the guest runs as this user: skipping the ${name} races`);

  describeHere('under attack', () => {
    let provider: SandboxProvider;
    let sandbox: Sandbox;

    beforeAll(async () => {
      provider = await makeProvider();
      expect(provider.isolation).toBe(name);
    });

    beforeEach(async () => {
      sandbox = await provider.provision({ limits: { wallTimeMs: 120_000, cpuSeconds: 120 } });
    });

    afterEach(async () => {
      await sandbox?.teardown();
    });

    raceTest(
      'symlink swaps during readFile, writeFile and the directories writeFile makes never reach a root-only host dir',
      async () => {
        const host = rootOnlyHostDir();
        const guest = new AbortController();
        const runs = (['r', 'd', 'out'] as const).map((which) =>
          sandbox.run(['python3', '-c', SWAPPER, host.path, which], { signal: guest.signal }),
        );
        let tallies: Record<'read' | 'write' | 'mkdirs', RaceTally>;
        let ended: RunResult[];
        let changed: string | null;
        let secretNow: string;
        try {
          await Promise.all(runs.map((run, i) => waitFor(sandbox, run, `ready.${['r', 'd', 'out'][i]}`)));
          const [read, write, mkdirs] = await Promise.all([
            raceLoop(async () => {
              const data = await sandbox.readFile('r/secret.txt', 'utf8');
              return data.includes(SECRET) ? `readFile returned the host secret: ${data.trim()}` : null;
            }, () => null),
            raceLoop(async () => {
              await sandbox.writeFile('d/pwned.txt', 'pwned');
              return null;
            }, () => (existsSync(join(host.path, 'pwned.txt')) ? 'writeFile created pwned.txt in the host dir' : null)),
            raceLoop(async () => {
              await sandbox.writeFile('out/f.txt', 'pwned');
              return null;
            }, () => {
              const { uid, gid, mode } = statSync(host.path);
              if (uid !== 0 || gid !== 0 || mode !== (0o40700 as number)) return `the host dir is now ${uid}:${gid} ${mode.toString(8)}`;
              return existsSync(join(host.path, 'f.txt')) ? 'writeFile created f.txt in the host dir' : null;
            }),
          ]);
          tallies = { read, write, mkdirs };
        } finally {
          guest.abort();
          ended = await Promise.all(runs);
          changed = host.check();
          secretNow = readFileSync(join(host.path, 'secret.txt'), 'utf8');
          host.remove();
        }
        console.log(`${name} race tallies: ${JSON.stringify(tallies)}`);
        const summary = Object.fromEntries(
          Object.entries(tallies).map(([op, t]) => [op, { breach: t.breach, otherErrors: t.otherErrors.slice(0, 3) }]),
        );
        expect(summary).toEqual({
          read: { breach: null, otherErrors: [] },
          write: { breach: null, otherErrors: [] },
          mkdirs: { breach: null, otherErrors: [] },
        });
        expect(changed).toBeNull();
        expect(secretNow).toBe(`${SECRET}\n`);
        // The guests raced throughout (none died early) ...
        expect(ended.map((r) => r.killedBy ?? JSON.stringify(r).slice(0, 400))).toEqual(['cancelled', 'cancelled', 'cancelled']);
        // ... for long enough, and the calls both went through and were refused.
        for (const tally of Object.values(tallies)) expect(tally.attempts).toBeGreaterThanOrEqual(50);
        const { read, write, mkdirs } = tallies;
        expect(read.ok + write.ok + mkdirs.ok).toBeGreaterThan(0);
        expect(read.sandboxErrors + write.sandboxErrors + mkdirs.sandboxErrors).toBeGreaterThan(0);
      },
      90_000,
    );

    test('a FIFO planted where the host writes or reads ends each call in a SandboxError within seconds, and the worker\'s other fs work goes on', async () => {
      const fifos = ['w1', 'w2', 'w3', 'w4', 'files', 'cwd', 'r1', 'sub/deep'];
      const setup = await sandbox.run(['sh', '-c', `mkdir sub && mkfifo ${fifos.join(' ')}`]);
      expect(setup.exitCode).toBe(0);
      try {
        // Four at once: today each one would hold a thread of libuv's pool (four by default) forever.
        const writes = ['w1', 'w2', 'w3', 'w4'].map((f) => settle(sandbox.writeFile(f, 'x')));
        const other = await settle(within(fsReadFile(__filename, 'utf8'), 3_000, 'an unrelated fs.promises.readFile'));
        expect(other.error).toBeUndefined();
        expect(other.value).toContain('unrelated fs.promises.readFile');
        const calls = [
          ...writes,
          settle(sandbox.run(['true'], { files: { 'ok.txt': 'fine', files: 'x' } })),
          settle(sandbox.run(['true'], { cwd: 'cwd' })),
          settle(sandbox.run(['true'], { cwd: 'sub/deep/x' })),
          settle(sandbox.readFile('r1')),
          settle(sandbox.writeFile('sub/deep/x.txt', 'x')),
        ];
        const results = await within(Promise.all(calls), 20_000, 'the calls on FIFOs');
        for (const r of results) {
          expect(r.error).toBeInstanceOf(SandboxError);
          expect(String(r.error)).toMatch(/not a regular file|not a directory/);
          expect(r.ms).toBeLessThan(8_000);
        }
        // The worker still reads its own files, and the sandbox still works.
        expect(await within(fsReadFile(__filename, 'utf8'), 3_000, 'fs.promises.readFile after')).toContain('SandboxError');
        await sandbox.writeFile('after.txt', 'after');
        expect(await sandbox.readFile('after.txt', 'utf8')).toBe('after');
      } finally {
        unblockFifos(fifos.map((f) => join(sandbox.workDir, f)));
      }
    }, 60_000);

    test('readFile of a file that turns into a FIFO after the check times out with a SandboxError, not a hang', async () => {
      const guest = new AbortController();
      const swapper = sandbox.run(
        [
          'python3',
          '-c',
          'import os\nos.mkfifo("f.fifo")\nopen("f.reg", "w").write("regular")\nopen("ready", "w").close()\n' +
            'while True:\n    os.rename("f.reg", "f"); os.rename("f", "f.reg"); os.rename("f.fifo", "f"); os.rename("f", "f.fifo")',
        ],
        { signal: guest.signal },
      );
      try {
        await waitFor(sandbox, swapper, 'ready');
        let timedOut: { error?: unknown; ms: number } | undefined;
        const fsLatency: number[] = [];
        for (let i = 0; i < 200 && !timedOut; i++) {
          const read = settle(within(sandbox.readFile('f', 'utf8'), 30_000, 'readFile during a FIFO swap'));
          const t0 = performance.now();
          await within(fsReadFile(__filename), 3_000, 'an unrelated fs.promises.readFile');
          fsLatency.push(performance.now() - t0);
          const r = await read;
          if (r.error instanceof SandboxError && /timed out/.test(r.error.message)) timedOut = r;
          else if (r.error) expect(r.error).toBeInstanceOf(SandboxError);
          else expect(r.value).toBe('regular');
        }
        expect(timedOut).toBeDefined();
        expect(timedOut!.ms).toBeLessThan(12_000);
        expect(String(timedOut!.error)).toMatch(/FIFO|not a regular file|timed out/);
        expect(Math.max(...fsLatency)).toBeLessThan(3_000);
      } finally {
        guest.abort();
        await swapper;
        unblockFifos([join(sandbox.workDir, 'f'), join(sandbox.workDir, 'f.fifo')]);
      }
    }, 120_000);

    test('binary content goes in and out intact, and readFile is capped at maxFileBytes', async () => {
      const data = randomBytes(300_000);
      await sandbox.writeFile('bin/data.bin', data);
      const inside = await sandbox.run(['sha256sum', 'bin/data.bin']);
      expect(inside.stdout.split(' ')[0]).toBe(createHash('sha256').update(data).digest('hex'));
      expect((await sandbox.readFile('bin/data.bin')).equals(data)).toBe(true);
      await sandbox.run(['true'], { files: { 'a/b/c.bin': data, 'a/x.txt': 'x', [`${'long-name-'.repeat(20)}/${'y'.repeat(120)}.txt`]: 'long' } });
      expect((await sandbox.readFile('a/b/c.bin')).equals(data)).toBe(true);
      expect(await sandbox.readFile(`${'long-name-'.repeat(20)}/${'y'.repeat(120)}.txt`, 'utf8')).toBe('long');

      const small = await provider.provision({ limits: { maxFileBytes: 100_000 } });
      try {
        await small.run(['sh', '-c', 'head -c 100000 /dev/zero > full.bin']);
        expect((await small.readFile('full.bin')).length).toBe(100_000);
        // The host may write more than a run may (its own content), and reading it back is refused.
        await small.writeFile('host.bin', data);
        await expect(small.readFile('host.bin')).rejects.toThrow(/maxFileBytes/);
      } finally {
        await small.teardown();
      }
    }, 60_000);
  });
});
