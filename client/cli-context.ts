/** What every CLI command shares: exit codes, one client connection per process, clear errors. */
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { dataConverterFromEnv } from '../connection/codec/data-converter';
import { connectionConfigFromEnv, ConfigError, type ConnectionConfig } from '../connection/config';
import { connectClient } from './experiments';
import { CliError, EXIT } from './exit-codes';

export { CliError, EXIT } from './exit-codes';

export function loadConnectionConfig(): ConnectionConfig {
  const config = configured(() => connectionConfigFromEnv());
  // Whatever talks to Temporal encrypts as DXP_CODEC_* say: a bad key setting stops it here, before anything starts.
  loadDataConverter();
  return config;
}

/** The payload codec of DXP_CODEC_KEYS or DXP_CODEC_KEY_FILE, or undefined for none. */
export function loadDataConverter(): DataConverter | undefined {
  return configured(() => dataConverterFromEnv());
}

function configured<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`configuration: ${err.message}`, EXIT.badInput);
    throw err;
  }
}

export function unreachableMessage(config: ConnectionConfig, err: unknown): string {
  return (
    `cannot reach Temporal at ${config.address} (namespace ${config.namespace}): ${err instanceof Error ? err.message : String(err)}\n` +
    'Start a local server with `dxp server` (or run everything with `dxp demo`), or set TEMPORAL_ADDRESS.'
  );
}

/** Runs `fn` with a connected client and always closes the connection. */
export async function withClient<T>(
  fn: (client: Client, config: ConnectionConfig) => Promise<T>,
  config: ConnectionConfig = loadConnectionConfig(),
): Promise<T> {
  const dataConverter = loadDataConverter();
  let client: Client;
  try {
    client = await connectClient(config, dataConverter);
    await client.connection.workflowService.describeNamespace({ namespace: config.namespace });
  } catch (err) {
    throw new CliError(unreachableMessage(config, err), EXIT.unreachable);
  }
  try {
    return await fn(client, config);
  } finally {
    await client.connection.close();
  }
}
