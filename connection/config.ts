/**
 * Connection settings, read once from the environment with Temporal's own variable names,
 * for both the client (`dxp run` ...) and the worker. Bad values fail fast, naming the variable.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { recordedDevServerUi } from './dev-server-registry';

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false', '1', '0']).optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** Where the Web UI is, for links; default: derived from a local address (port + 1000). */
  TEMPORAL_UI_URL: z.string().url().optional(),
});

export interface ConnectionConfig {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  uiUrl?: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function connectionConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ConnectionConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const e = parsed.data;
  const cert = e.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const key = e.TEMPORAL_TLS_CLIENT_KEY_PATH;
  if (Boolean(cert) !== Boolean(key)) {
    throw new ConfigError('TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together: set both or neither');
  }
  const tlsWanted = e.TEMPORAL_TLS === 'true' || e.TEMPORAL_TLS === '1' || Boolean(cert) || Boolean(e.TEMPORAL_TLS_SERVER_CA_CERT_PATH) || Boolean(e.TEMPORAL_API_KEY && e.TEMPORAL_TLS !== 'false' && e.TEMPORAL_TLS !== '0');
  const tls = tlsWanted
    ? {
        ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME } : {}),
        ...(e.TEMPORAL_TLS_SERVER_CA_CERT_PATH ? { serverRootCACertificate: readConfigFile('TEMPORAL_TLS_SERVER_CA_CERT_PATH', e.TEMPORAL_TLS_SERVER_CA_CERT_PATH) } : {}),
        ...(cert && key ? { clientCertPair: { crt: readConfigFile('TEMPORAL_TLS_CLIENT_CERT_PATH', cert), key: readConfigFile('TEMPORAL_TLS_CLIENT_KEY_PATH', key) } } : {}),
      }
    : undefined;
  return {
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
    ...(tls ? { tls } : {}),
    ...(e.TEMPORAL_UI_URL || localUiUrl(e.TEMPORAL_ADDRESS) ? { uiUrl: e.TEMPORAL_UI_URL ?? localUiUrl(e.TEMPORAL_ADDRESS) } : {}),
  };
}

function readConfigFile(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${variable}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** A local server's UI: the one `dxp server` noted for that port, else the dev server's default, the gRPC port + 1000. */
function localUiUrl(address: string): string | undefined {
  const match = /^(localhost|127\.0\.0\.1|\[::1\]):(\d+)$/.exec(address);
  if (!match) return undefined;
  return recordedDevServerUi(match[2]!) ?? `http://${match[1]}:${Number(match[2]) + 1000}`;
}

export function workflowUiLink(config: ConnectionConfig, workflowId: string): string | undefined {
  if (!config.uiUrl) return undefined;
  return `${config.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
