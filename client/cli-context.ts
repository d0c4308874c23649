/** What every CLI command shares: exit codes, one client connection per process, clear errors. */
import type { Client } from '@temporalio/client';
import { connectionConfigFromEnv, ConfigError, type ConnectionConfig } from './connection-config';
import { connectClient } from './experiments';
import { CliError, EXIT } from './exit-codes';

export { CliError, EXIT } from './exit-codes';

export function loadConnectionConfig(): ConnectionConfig {
  try {
    return connectionConfigFromEnv();
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
  let client: Client;
  try {
    client = await connectClient(config);
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
