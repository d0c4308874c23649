/**
 * bubblewrap's own hardening (issue 9): sandboxed code cannot make user namespaces (a seccomp
 * filter, every ABI included), ordinary programs still run under that filter, and bwrap's
 * arguments (host paths, the values of `env`) are on no command line, inside or on the host.
 * Needs bwrap with namespaces (skipped with a message otherwise, unless DXP_REQUIRE_SANDBOX=1).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createSandboxProvider, type Sandbox, type SandboxProvider } from '../activities/sandbox';
import { evaluateFilter, SECCOMP_RET, SYSCALLS, userNamespaceFilter } from '../activities/sandbox/seccomp';
import { ifIsolated } from './helpers/sandbox';

const describeIsolated = ifIsolated(describe, 'sandbox-bwrap-hardening.test', 'the bubblewrap hardening suite');

const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWNS = 0x00020000;
const SIGCHLD = 17;
const EPERM = SECCOMP_RET.ERRNO | 1;
const ENOSYS = SECCOMP_RET.ERRNO | 38;

describe('the seccomp filter, evaluated', () => {
  const program = userNamespaceFilter([SYSCALLS.x86_64, SYSCALLS.i386, SYSCALLS.aarch64, SYSCALLS.arm]);
  const abis = Object.entries(SYSCALLS);

  test.each(abis)('%s: user namespaces are refused, the rest allowed', (_name, abi) => {
    const call = (nr: number, flags = 0) => evaluateFilter(program, { arch: abi.arch, nr, args: [flags] });
    expect(call(abi.unshare, CLONE_NEWUSER)).toBe(EPERM);
    expect(call(abi.unshare, CLONE_NEWUSER | CLONE_NEWNS)).toBe(EPERM);
    expect(call(abi.unshare, CLONE_NEWNS)).toBe(SECCOMP_RET.ALLOW); // refused by the kernel without capabilities
    expect(call(abi.clone, CLONE_NEWUSER | SIGCHLD)).toBe(EPERM);
    expect(call(abi.clone, SIGCHLD)).toBe(SECCOMP_RET.ALLOW); // fork
    expect(call(abi.clone, 0x003d0f00)).toBe(SECCOMP_RET.ALLOW); // pthread_create's flags
    expect(call(abi.clone3)).toBe(ENOSYS);
    expect(call(abi.setns)).toBe(EPERM);
    expect(call(0)).toBe(SECCOMP_RET.ALLOW);
    expect(call(1)).toBe(SECCOMP_RET.ALLOW);
  });

  test('x32 calls (bit 30) are filtered like x86_64 ones; an unknown ABI is killed', () => {
    const x32 = (nr: number, flags = 0) => evaluateFilter(program, { arch: SYSCALLS.x86_64.arch, nr: 0x40000000 | nr, args: [flags] });
    expect(x32(SYSCALLS.x86_64.unshare, CLONE_NEWUSER)).toBe(EPERM);
    expect(x32(SYSCALLS.x86_64.clone, CLONE_NEWUSER)).toBe(EPERM);
    expect(x32(SYSCALLS.x86_64.clone3)).toBe(ENOSYS);
    expect(x32(0)).toBe(SECCOMP_RET.ALLOW);
    expect(evaluateFilter(program, { arch: 0xc00000f3 /* riscv64 */, nr: 0 })).toBe(SECCOMP_RET.KILL_PROCESS);
  });
});

/** Every `/proc/<pid>/cmdline` this process can read, NULs as spaces. */
function hostCmdlines(): string[] {
  const lines: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      lines.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // gone meanwhile
    }
  }
  return lines;
}

describeIsolated('bubblewrap sandbox: no user namespaces, no arguments on command lines', () => {
  let provider: SandboxProvider;
  let sandbox: Sandbox;

  beforeAll(async () => {
    provider = await createSandboxProvider({ requireIsolation: true });
    sandbox = await provider.provision({ limits: { wallTimeMs: 20_000 } });
  });

  afterAll(async () => {
    await sandbox?.teardown();
  });

  test('unshare -r, unshare -U and unshare(CLONE_NEWUSER) from python3 all fail; the filter is in place', async () => {
    const python = [
      'import ctypes, os',
      'flag = getattr(os, "CLONE_NEWUSER", 0x10000000)',
      'try:',
      '    if hasattr(os, "unshare"):',
      '        os.unshare(flag)',
      '    else:',
      '        libc = ctypes.CDLL(None, use_errno=True)',
      '        if libc.unshare(flag) != 0:',
      '            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))',
      '    print("unshare: ok, uid", os.getuid())',
      'except OSError as e:',
      '    print("unshare:", e.errno, e.strerror)',
      // clone(CLONE_NEWUSER | SIGCHLD) with no stack acts like fork: the child leaves at once.
      'libc = ctypes.CDLL(None, use_errno=True)',
      'pid = libc.syscall({"x86_64": 56, "aarch64": 220}[os.uname().machine], 0x10000000 | 17, 0, 0, 0, 0)',
      'if pid == 0:',
      '    os._exit(0)',
      'print("clone:", pid, ctypes.get_errno() if pid < 0 else os.waitpid(pid, 0)[1])',
    ].join('\n');
    const result = await sandbox.run([
      'sh',
      '-c',
      'unshare -r id; echo "unshare -r: $?"; unshare -U true; echo "unshare -U: $?"; python3 -c "$1"; grep ^Seccomp: /proc/self/status',
      'sh',
      python,
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toContain('uid=0');
    expect(result.stdout).toMatch(/^unshare -r: 1$/m);
    expect(result.stdout).toMatch(/^unshare -U: 1$/m);
    expect(result.stderr).toMatch(/unshare failed: Operation not permitted/);
    expect(result.stdout).toMatch(/^unshare: 1 Operation not permitted$/m);
    expect(result.stdout).toMatch(/^clone: -1 1$/m);
    expect(result.stdout).toMatch(/^Seccomp:\s+2$/m);
  }, 20_000);

  const gcc = spawnSync('gcc', ['--version']).status === 0 && process.arch === 'x64';
  (gcc ? test : test.skip)('nor through the i386 (int 0x80) or x32 entry of a 64-bit program; clone3 says ENOSYS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dxp-abi-'));
    try {
      const source = [
        '#define _GNU_SOURCE',
        '#include <errno.h>',
        '#include <sched.h>',
        '#include <stdio.h>',
        '#include <sys/syscall.h>',
        '#include <unistd.h>',
        'int main(void) {',
        '  long r;',
        '  __asm__ volatile("int $0x80" : "=a"(r) : "a"(310L), "b"((long)CLONE_NEWUSER) : "memory");',
        '  printf("i386 unshare %ld\\n", r);',
        '  r = syscall(0x40000000L | 272, (long)CLONE_NEWUSER);',
        '  printf("x32 unshare %ld %d\\n", r, r < 0 ? errno : 0);',
        '  r = syscall(SYS_clone3, 0L, 0L);',
        '  printf("clone3 %ld %d\\n", r, r < 0 ? errno : 0);',
        '  return 0;',
        '}',
      ].join('\n');
      const compiled = spawnSync('gcc', ['-O1', '-x', 'c', '-o', join(dir, 'abi'), '-'], { input: source, encoding: 'utf8' });
      expect(compiled.stderr).toBe('');
      await sandbox.writeFile('abi', readFileSync(join(dir, 'abi')));
      const result = await sandbox.run(['sh', '-c', 'chmod +x abi && ./abi']);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('i386 unshare -1\nx32 unshare -1 1\nclone3 -1 38\n'); // -1: -EPERM from int 0x80
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  test('ordinary programs still run: sh pipelines, python3 threads, subprocess and fork, node with a worker and a child', async () => {
    const python = [
      'import os, subprocess, threading',
      'out = []',
      't = threading.Thread(target=lambda: out.append("thread"))',
      't.start(); t.join()',
      'out.append(subprocess.run(["echo", "subprocess"], capture_output=True, text=True).stdout.strip())',
      'pid = os.fork()',
      'if pid == 0: os._exit(7)',
      'out.append("fork %d" % os.WEXITSTATUS(os.waitpid(pid, 0)[1]))',
      'print(" ".join(out))',
    ].join('\n');
    const py = await sandbox.run(['python3', '-c', python]);
    expect(py.stderr).toBe('');
    expect(py.stdout).toBe('thread subprocess fork 7\n');

    const sh = await sandbox.run(['sh', '-c', 'printf "b\\na\\n" | sort | tr "\\n" " "; (echo sub) | cat; echo $(echo nested)']);
    expect(sh.stdout).toBe('a b sub\nnested\n');

    if (existsSync('/usr/bin/node')) {
      const js = [
        "const { Worker } = require('node:worker_threads');",
        "const { execFileSync } = require('node:child_process');",
        "const w = new Worker('require(\"node:worker_threads\").parentPort.postMessage(6 * 7)', { eval: true });",
        "w.on('message', (n) => console.log('worker', n, execFileSync('echo', ['child']).toString().trim()));",
      ].join('\n');
      const node = await sandbox.run(['node', '-e', js], { limits: { memoryBytes: 1024 ** 3 } });
      expect(node.stderr).toBe('');
      expect(node.stdout).toBe('worker 42 child\n');
    }
  }, 60_000);

  test('neither /proc/*/cmdline inside nor the host\'s ps shows env values or the host dir; the variable is still set', async () => {
    const canary = `canary-${process.pid}-${Date.now()}`;
    const hostDir = dirname(sandbox.workDir);
    const inside = [
      'import glob, os, time',
      'seen = []',
      'for path in ["/proc/1/cmdline"] + glob.glob("/proc/[0-9]*/cmdline"):',
      '    try:',
      '        seen.append(path + " " + open(path, "rb").read().replace(b"\\0", b" ").decode())',
      '    except OSError:',
      '        pass',
      'print("\\n".join(seen))',
      'print("SECRET=" + os.environ.get("SECRET", "<unset>"))',
      'time.sleep(1.5)',
    ].join('\n');

    const leaks: string[] = [];
    let scans = 0;
    let sawRun = false;
    let running = true;
    const scanner = (async () => {
      while (running) {
        for (const line of hostCmdlines()) {
          if (line.includes(canary) || line.includes(hostDir)) leaks.push(line);
          if (line.includes('time.sleep(1.5)')) sawRun = true;
        }
        scans++;
        await new Promise((r) => setTimeout(r, 5)); // the point: sample the host's cmdlines every 5 ms for the whole run
      }
    })();
    try {
      const result = await sandbox.run(['python3', '-c', inside], { env: { SECRET: canary } });
      expect(result.exitCode).toBe(0);
      const lines = result.stdout.trim().split('\n');
      expect(lines.at(-1)).toBe(`SECRET=${canary}`);
      const cmdlines = lines.slice(0, -1);
      expect(cmdlines[0]).toMatch(/^\/proc\/1\/cmdline \S*bwrap --args 3 /);
      expect(cmdlines.length).toBeGreaterThan(1);
      for (const line of cmdlines) {
        expect(line).not.toContain(canary);
        expect(line).not.toContain(hostDir);
        expect(line).not.toContain('dxp-sbx-');
        expect(line).not.toContain('--setenv');
      }
    } finally {
      running = false;
      await scanner;
    }
    expect(scans).toBeGreaterThan(10);
    expect(sawRun).toBe(true); // the host scan did see the run in flight
    expect(leaks).toEqual([]);
  }, 30_000);

  test('the fds that carried bwrap\'s arguments and filter are closed before the command starts', async () => {
    const list = [
      'import json, os',
      'fds = {}',
      'for fd in os.listdir("/proc/self/fd"):',
      '    try: fds[fd] = os.readlink("/proc/self/fd/" + fd)',
      '    except OSError: pass  # the listing\'s own, closed by now',
      'print(json.dumps(fds))',
    ].join('\n');
    const result = await sandbox.run(['python3', '-c', list]);
    const fds = JSON.parse(result.stdout) as Record<string, string>;
    // Above stdio, no socket: fds 3 and 4 were socket pairs to the worker.
    const sockets = Object.entries(fds).filter(([fd, target]) => Number(fd) > 2 && target.startsWith('socket:'));
    expect(sockets).toEqual([]);
    expect(fds['4']).toBeUndefined();
  }, 10_000);
});

describe('descriptors the worker inherited without close-on-exec', () => {
  // A worker started by a CI runner or a shell with an extra redirection holds such fds; Node opens
  // its own close-on-exec (and, measured, marks low inherited ones so too). Here a child worker
  // process gets a pipe at fd 200 and runs a sandbox.
  const script = `
    const { createSandboxProvider } = require('./activities/sandbox');
    (async () => {
      const out = {};
      for (const prefer of ['bubblewrap', 'weak']) {
        const provider = await createSandboxProvider({ prefer, requireIsolation: prefer === 'bubblewrap' });
        const sandbox = await provider.provision();
        try {
          const r = await sandbox.run(['/bin/sh', '-c', 'readlink /proc/self/fd/200 || echo closed']);
          out[prefer] = r.stdout.trim();
        } finally {
          await sandbox.teardown();
        }
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });
  `;
  const testIsolated = ifIsolated(test, 'sandbox-bwrap-hardening.test', 'the inherited-fd test');

  testIsolated('reach no sandbox: /dev/null stands in their place, for both providers', () => {
    const root = join(__dirname, '..');
    const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], {
      cwd: root,
      stdio: [...(['ignore', 'pipe', 'pipe'] as const), ...Array.from({ length: 197 }, () => 'ignore' as const), 'pipe'],
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout as string)).toEqual({ bubblewrap: '/dev/null', weak: '/dev/null' });
  });
});
