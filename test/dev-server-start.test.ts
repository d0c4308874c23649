/**
 * Starting the dev server when it dies while starting: on ports we chose it is started again on
 * fresh ones (the CLI's own port picking can collide with another process), and the error keeps the
 * head of its output, where a Go panic names its cause.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startDevServer } from '../client/dev-server';
import { requireTemporalCli } from '../client/temporal-cli';

const dir = mkdtempSync(join(tmpdir(), 'dxp-dev-server-start-'));
const PANIC = 'panic: listen tcp 127.0.0.1:41234: bind: address already in use';

/** A CLI stand-in: logs its --port, dies like the real one does on a taken port `failures` times, then runs the real CLI. */
function flakyCli(name: string, failures: number): { path: string; ports: () => number[] } {
  const log = join(dir, `${name}.log`);
  const path = join(dir, `${name}.sh`);
  writeFileSync(log, '');
  const stack = 'goroutine 1 [running]:\\ngo.uber.org/dig.paramList.BuildList(...)\\n'.repeat(200);
  writeFileSync(
    path,
    `#!/bin/sh
port=""; prev=""
for a in "$@"; do [ "$prev" = "--port" ] && port="$a"; prev="$a"; done
echo "$port" >> ${JSON.stringify(log)}
if [ "$(wc -l < ${JSON.stringify(log)})" -le ${failures} ]; then
  printf '%s\\n' ${JSON.stringify(PANIC)} >&2
  printf '${stack}' >&2
  exit 2
fi
exec ${JSON.stringify(requireTemporalCli())} "$@"
`,
  );
  chmodSync(path, 0o755);
  return { path, ports: () => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map(Number) };
}

test('a server that exits while starting is started again on fresh ports, and serves', async () => {
  const cli = flakyCli('once', 1);
  const server = await startDevServer({ headless: true, cliPath: cli.path, searchAttributes: false });
  try {
    const ports = cli.ports();
    expect(ports).toHaveLength(2);
    expect(ports[0]).not.toBe(ports[1]);
    expect(server.address).toBe(`127.0.0.1:${ports[1]}`);
  } finally {
    await server.stop();
  }
}, 60_000);

test('when every attempt fails, the error names the cause from the head of the output and the attempts', async () => {
  const cli = flakyCli('always', 99);
  const error = await startDevServer({ headless: true, cliPath: cli.path }).then(
    () => undefined,
    (err: Error) => err,
  );
  expect(cli.ports()).toHaveLength(3);
  expect(error?.message).toContain(PANIC);
  expect(error?.message).toContain('after 3 attempts on fresh ports');
  expect(error?.message).toMatch(/characters left out/);
  expect(error!.message.length).toBeLessThan(6_000);
}, 60_000);

test("a caller's own port is not swapped for another: one attempt, and its error", async () => {
  const cli = flakyCli('fixed', 99);
  const port = await freePort();
  await expect(startDevServer({ headless: true, port, cliPath: cli.path })).rejects.toThrow(PANIC);
  expect(cli.ports()).toEqual([port]);
});
