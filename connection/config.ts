/**
 * Connection settings, read once for both the client (`dxp run` ...) and the worker, through the
 * Temporal SDK's own loader (@temporalio/envconfig): the same `TEMPORAL_*` variables and the same
 * TOML profiles (`TEMPORAL_CONFIG_FILE`, `TEMPORAL_PROFILE`) as the Temporal CLI and the other SDKs,
 * variables overriding the profile. dxp adds its checks on top: bad values fail fast, naming the
 * variable (or the profile's key); a client cert goes with its key; and `TEMPORAL_UI_URL`.
 */
import { loadClientConfigProfile, loadConfigData, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import { z } from 'zod';
import { recordedDevServerUi } from './dev-server-registry';

const DEFAULT_ADDRESS = 'localhost:7233';
const DEFAULT_NAMESPACE = 'default';

/** dxp's checks of the variables envconfig reads (it takes any string: '' or TEMPORAL_TLS=yes would pass). */
const envSchema = z.object({
  TEMPORAL_CONFIG_FILE: z.string().min(1).optional(),
  TEMPORAL_PROFILE: z.string().min(1).optional(),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false', '1', '0']).optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_CERT_DATA: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_DATA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** Where the Web UI is, for links; default: derived from a local address (port + 1000). dxp's own. */
  TEMPORAL_UI_URL: z.string().url().optional(),
});
type Env = z.infer<typeof envSchema>;

/** The same checks for what a profile of the TOML file gives (a variable that overrides it was checked above). */
const profileSchema = z.object({
  address: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  apiKey: z.string().min(1).optional(),
  tls: z
    .object({
      disabled: z.boolean().optional(),
      serverName: z.string().min(1).optional(),
    })
    .optional(),
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
  if (!parsed.success) throw new ConfigError(issuesOf(parsed.error));
  const e = parsed.data;
  const vars = definedOnly(env);
  // The profile alone (to tell what the file said from what the variables said), then with the variables over it.
  const fileProfile = loadProfile(e, { disableEnv: true, overrideEnvVars: vars });
  const profile = loadProfile(e, { overrideEnvVars: vars });
  const checked = profileSchema.safeParse(profile);
  if (!checked.success) throw new ConfigError(`${profileName(e)}: ${issuesOf(checked.error)}`);

  const t = profile.tls;
  if (Boolean(t?.clientCert) !== Boolean(t?.clientKey)) {
    throw new ConfigError(
      'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together: set both or neither ' +
        '(or their _DATA forms; in a profile, tls.client_cert_* and tls.client_key_*)',
    );
  }
  const tls = tlsWanted(e, fileProfile, profile)
    ? {
        ...(t?.serverName ? { serverNameOverride: t.serverName } : {}),
        ...(t?.serverCACert ? { serverRootCACertificate: readSource(e, 'SERVER_CA_CERT', t.serverCACert) } : {}),
        ...(t?.clientCert && t.clientKey ? { clientCertPair: { crt: readSource(e, 'CLIENT_CERT', t.clientCert), key: readSource(e, 'CLIENT_KEY', t.clientKey) } } : {}),
      }
    : undefined;
  const address = profile.address ?? DEFAULT_ADDRESS;
  const uiUrl = e.TEMPORAL_UI_URL ?? localUiUrl(address);
  return {
    address,
    namespace: profile.namespace ?? DEFAULT_NAMESPACE,
    ...(profile.apiKey ? { apiKey: profile.apiKey } : {}),
    ...(tls ? { tls } : {}),
    ...(uiUrl ? { uiUrl } : {}),
  };
}

/**
 * TLS, first rule that applies: a client cert or CA cert in the variables turns it on (even with
 * TEMPORAL_TLS=false, as before envconfig); TEMPORAL_TLS decides; a profile with a `tls` table has it
 * on unless `disabled = true` (envconfig); else an API key turns it on. TEMPORAL_TLS_SERVER_NAME alone does not.
 */
function tlsWanted(e: Env, fileProfile: ClientConfigProfile, profile: ClientConfigProfile): boolean {
  const certInEnv = [e.TEMPORAL_TLS_CLIENT_CERT_PATH, e.TEMPORAL_TLS_CLIENT_CERT_DATA, e.TEMPORAL_TLS_SERVER_CA_CERT_PATH, e.TEMPORAL_TLS_SERVER_CA_CERT_DATA];
  if (certInEnv.some(Boolean)) return true;
  if (e.TEMPORAL_TLS !== undefined) return e.TEMPORAL_TLS === 'true' || e.TEMPORAL_TLS === '1';
  if (fileProfile.tls) return fileProfile.tls.disabled !== true;
  return Boolean(profile.apiKey);
}

function loadProfile(e: Env, options: Parameters<typeof loadClientConfigProfile>[0]): ClientConfigProfile {
  try {
    return loadClientConfigProfile(options);
  } catch (err) {
    const message = (err as Error).message;
    const both = /^Cannot specify both (\w+)_path and \w+_data/.exec(message);
    if (both) {
      const name = `TEMPORAL_TLS_${both[1]!.toUpperCase()}`;
      throw new ConfigError(`${name}_PATH and ${name}_DATA: give one, not both (a profile's tls.${both[1]}_path and the _DATA variable count too): ${message}`);
    }
    if (/^Profile '.*' not found/.test(message)) throw new ConfigError(`TEMPORAL_PROFILE: ${message} (${configFile(e)})`);
    throw new ConfigError(`TEMPORAL_CONFIG_FILE: cannot load ${configFile(e)}: ${message}`);
  }
}

/** A cert's bytes: `_DATA` as given, `_PATH` read, an unreadable file named with where its path came from. */
function readSource(e: Env, what: 'CLIENT_CERT' | 'CLIENT_KEY' | 'SERVER_CA_CERT', source: ConfigDataSource): Buffer {
  try {
    return Buffer.from(loadConfigData(source)!);
  } catch (err) {
    const variable = `TEMPORAL_TLS_${what}_PATH` as const;
    const from = e[variable] !== undefined ? variable : `${profileName(e)}: tls.${what.toLowerCase()}_path`;
    throw new ConfigError(`${from}: cannot read ${'path' in source ? source.path : 'data'}: ${(err as Error).message}`);
  }
}

function configFile(e: Env): string {
  return e.TEMPORAL_CONFIG_FILE ?? 'the Temporal CLI config file (temporalio/temporal.toml in the user config directory)';
}

function profileName(e: Env): string {
  return `profile '${e.TEMPORAL_PROFILE ?? 'default'}' of ${configFile(e)}`;
}

function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
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
