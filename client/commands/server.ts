/** `dxp server`: the Temporal dev server with its Web UI, persisted in the data folder. */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PortInUseError, startDevServer, type DevServer } from '../dev-server';
import { startDevServerWithSdkDownload } from '../sdk-download-server';
import { TemporalCliNotFoundError } from '../temporal-cli';
import { CliError, EXIT } from '../exit-codes';
import { recordDevServerUi } from '../../connection/dev-server-registry';

export interface ServerOptions {
  port: number;
  uiPort?: number;
  dbFile: string;
  headless?: boolean;
  /** `dxp codec-server`'s URL, so the Web UI shows encrypted payloads decrypted. */
  uiCodecEndpoint?: string;
}

export function defaultDbFile(): string {
  return resolve(process.env.DXP_DATA_DIR ?? '.dxp', 'temporal.db');
}

export async function launchServer(opts: ServerOptions, stdio: 'inherit' | 'ignore' = 'ignore'): Promise<DevServer> {
  mkdirSync(dirname(resolve(opts.dbFile)), { recursive: true });
  const options = { port: opts.port, uiPort: opts.uiPort ?? opts.port + 1000, dbFile: resolve(opts.dbFile), headless: opts.headless, ...(opts.uiCodecEndpoint ? { uiCodecEndpoint: opts.uiCodecEndpoint } : {}), stdio };
  try {
    return await startDevServer(options);
  } catch (err) {
    if (err instanceof PortInUseError) throw new CliError(err.message, EXIT.badInput);
    if (!(err instanceof TemporalCliNotFoundError)) throw err;
    try {
      return await startDevServerWithSdkDownload(options);
    } catch (downloadErr) {
      throw new CliError(`${err.message}\n(The SDK's own download of the dev server failed too: ${(downloadErr as Error).message})`, EXIT.unreachable);
    }
  }
}

export async function serverCommand(opts: ServerOptions): Promise<number> {
  const server = await launchServer(opts, 'inherit');
  const forget = server.uiUrl ? recordDevServerUi(Number(server.address.split(':').pop()), server.uiUrl) : () => undefined;
  process.stdout.write(
    `Temporal dev server on ${server.address}${server.uiUrl ? `, Web UI ${server.uiUrl}` : ''}; state in ${resolve(opts.dbFile)}\n` +
      `Set TEMPORAL_ADDRESS=${server.address} for workers and clients elsewhere. Ctrl-C stops it.\n`,
  );
  await new Promise<void>((resolveStop) => {
    const stop = () => void server.stop().then(resolveStop);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    server.process?.once('exit', () => resolveStop());
  });
  forget();
  return EXIT.ok;
}
