/**
 * Last resort when no Temporal CLI is installed: the SDK downloads the dev server itself.
 * Needs internet; on a closed network it fails and the caller explains how to install the CLI.
 */
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import type { DevServer, DevServerOptions } from './dev-server';
import { PROJECT_ROOT } from './temporal-cli';

export async function startDevServerWithSdkDownload(opts: DevServerOptions & { port: number }): Promise<DevServer> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download', downloadDir: join(PROJECT_ROOT, '.tools', 'sdk-download') },
      ip: '127.0.0.1',
      port: opts.port,
      ...(opts.headless ? {} : { ui: true, ...(opts.uiPort ? { uiPort: opts.uiPort } : {}) }),
      ...(opts.dbFile ? { dbFilename: opts.dbFile } : {}),
      searchAttributes: [...ALL_SEARCH_ATTRIBUTES],
      extraArgs: [
        ...Object.entries(opts.dynamicConfig ?? {}).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`]),
        ...(!opts.headless && opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
      ],
    },
  });
  const address = `127.0.0.1:${opts.port}`;
  const stop = () => env.teardown();
  return {
    address,
    ...(opts.headless ? {} : { uiUrl: `http://127.0.0.1:${opts.uiPort ?? opts.port + 1000}` }),
    namespace: env.namespace ?? 'default',
    stop,
    kill: stop,
  };
}
