/** The dev server's command line: the UI's codec endpoint reaches it only when there is a UI. */
import { devServerArgs } from '../client/dev-server';

const valueOf = (args: string[], flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);

test('--ui-codec-endpoint is passed with a UI and left out when headless', () => {
  const endpoint = 'http://127.0.0.1:8888';
  expect(valueOf(devServerArgs({ port: 7233, uiPort: 8233, uiCodecEndpoint: endpoint }), '--ui-codec-endpoint')).toBe(endpoint);
  expect(devServerArgs({ port: 7233, headless: true, uiCodecEndpoint: endpoint })).not.toContain('--ui-codec-endpoint');
  expect(devServerArgs({ port: 7233, uiPort: 8233 })).not.toContain('--ui-codec-endpoint');
});
