/** The dev server's command line: the UI's codec endpoint reaches it only when there is a UI, and only as an http(s) URL. */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devServerArgs } from '../client/dev-server';
import { dxpEnv, runDxp } from './helpers/cli';

const valueOf = (args: string[], flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);

test('--ui-codec-endpoint is passed with a UI and left out when headless', () => {
  const endpoint = 'http://127.0.0.1:8888';
  expect(valueOf(devServerArgs({ port: 7233, uiPort: 8233, uiCodecEndpoint: endpoint }), '--ui-codec-endpoint')).toBe(endpoint);
  expect(devServerArgs({ port: 7233, headless: true, uiCodecEndpoint: endpoint })).not.toContain('--ui-codec-endpoint');
  expect(devServerArgs({ port: 7233, uiPort: 8233 })).not.toContain('--ui-codec-endpoint');
});

describe('`dxp server --ui-codec-endpoint` is checked before anything starts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dxp-server-args-'));
  const server = (...args: string[]) => runDxp(['server', ...args], { cwd: dir, env: { ...dxpEnv(), DXP_DATA_DIR: dir } });

  test.each(['not a url', 'ftp://127.0.0.1:8888', '127.0.0.1:8888'])('%s is refused with the flag and the reason (exit 2)', async (value) => {
    const result = await server('--ui-codec-endpoint', value);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--ui-codec-endpoint');
    expect(result.stderr).toMatch(/expected an http\(s\) URL/);
  });

  test('with --headless it is refused: there would be no UI to use it', async () => {
    const result = await server('--headless', '--ui-codec-endpoint', 'http://127.0.0.1:8888');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('needs the Web UI');
    expect(readdirSync(dir)).toEqual([]);
  });
});
