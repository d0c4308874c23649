/**
 * Whether bubblewrap works here (namespaces included), for the suites that need real isolation:
 * without it they are skipped with a message, unless DXP_REQUIRE_SANDBOX=1 makes them run and fail.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export function bwrapWorks(): boolean {
  const probe = spawnSync('bwrap', ['--unshare-pid', '--unshare-net', '--ro-bind', '/', '/', '--', 'true'], { timeout: 5_000 });
  return probe.status === 0;
}

/** `run` (describe or test) when bwrap works or DXP_REQUIRE_SANDBOX=1, else its skip, after warning that `what` is skipped. */
export function ifIsolated<T extends { skip: T }>(run: T, suite: string, what: string): T {
  const required = process.env.DXP_REQUIRE_SANDBOX === '1';
  const isolated = bwrapWorks();
  if (!isolated && !required) {
    console.warn(`${suite}: bwrap does not work here (run scripts/setup.sh as root): skipping ${what}`);
  }
  return isolated || required ? run : run.skip;
}

/** Python that tries a TCP connection and prints "CONNECTED <reply>" or "FAILED <error>": the sandbox's network probe. */
export function connectProgram(host: string, port: number): string {
  return [
    'import socket',
    's = socket.socket()',
    's.settimeout(2)',
    'try:',
    `    s.connect((${JSON.stringify(host)}, ${port}))`,
    '    s.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")',
    '    print("CONNECTED", s.recv(200))',
    'except OSError as e:',
    '    print("FAILED", e)',
  ].join('\n');
}

/** Largest gap between 10 ms ticks of this process's event loop while `fn` runs. */
export async function withLoopLag<T>(fn: () => Promise<T>): Promise<[T, number]> {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 10);
  try {
    return [await fn(), worst];
  } finally {
    clearInterval(timer);
  }
}
