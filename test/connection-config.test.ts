/**
 * Connection settings (connection/config.ts) through @temporalio/envconfig, without a server: the
 * defaults, a TOML profile chosen by TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE, variables over the
 * profile, a config file that is not there, the TLS rules (API key, TEMPORAL_TLS, certs) and the
 * errors that name the variable. Each call passes its own env, so no user config file is read.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, connectionConfigFromEnv, workflowUiLink } from '../connection/config';

let dir: string;
let certPath: string;
let keyPath: string;
let caPath: string;
let configFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dxp-connection-config-'));
  certPath = join(dir, 'client.pem');
  keyPath = join(dir, 'client.key');
  caPath = join(dir, 'ca.pem');
  writeFileSync(certPath, 'CLIENT CERT');
  writeFileSync(keyPath, 'CLIENT KEY');
  writeFileSync(caPath, 'SERVER CA');
  configFile = join(dir, 'temporal.toml');
  writeFileSync(
    configFile,
    [
      '[profile.default]',
      'address = "default.example:7233"',
      '',
      '[profile.cloud]',
      'address = "cloud.example.tmprl.cloud:7233"',
      'namespace = "cloud-ns.acct"',
      'api_key = "profile-key"',
      '',
      '[profile.mtls]',
      'address = "mtls.example:7233"',
      'namespace = "mtls-ns"',
      '[profile.mtls.tls]',
      `client_cert_path = "${certPath}"`,
      `client_key_path = "${keyPath}"`,
      `server_ca_cert_path = "${caPath}"`,
      'server_name = "mtls.internal"',
      '',
      '[profile.plain]',
      'address = "plain.example:7233"',
      'api_key = "plain-key"',
      '[profile.plain.tls]',
      'disabled = true',
      '',
      '[profile.halfpair.tls]',
      `client_cert_path = "${certPath}"`,
      '',
    ].join('\n'),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configError(env: NodeJS.ProcessEnv): ConfigError {
  let error: unknown;
  try {
    connectionConfigFromEnv(env);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

test('defaults: localhost:7233, namespace default, no TLS, no key', () => {
  const config = connectionConfigFromEnv({});
  expect([config.address, config.namespace, config.apiKey, config.tls]).toEqual(['localhost:7233', 'default', undefined, undefined]);
});

test('a TOML profile: address, namespace, API key (TLS on by the key) through TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE', () => {
  const config = connectionConfigFromEnv({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'cloud' });
  expect(config).toEqual({ address: 'cloud.example.tmprl.cloud:7233', namespace: 'cloud-ns.acct', apiKey: 'profile-key', tls: {} });
});

test("a TOML profile's tls table: the files read, the server name, TLS on", () => {
  const config = connectionConfigFromEnv({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'mtls' });
  expect(config.address).toBe('mtls.example:7233');
  expect(config.namespace).toBe('mtls-ns');
  expect(config.tls?.serverNameOverride).toBe('mtls.internal');
  expect(config.tls?.serverRootCACertificate?.toString()).toBe('SERVER CA');
  expect(config.tls?.clientCertPair?.crt.toString()).toBe('CLIENT CERT');
  expect(config.tls?.clientCertPair?.key.toString()).toBe('CLIENT KEY');
});

test('without TEMPORAL_PROFILE the file\'s "default" profile is used', () => {
  const config = connectionConfigFromEnv({ TEMPORAL_CONFIG_FILE: configFile });
  expect([config.address, config.namespace, config.tls]).toEqual(['default.example:7233', 'default', undefined]);
});

test('variables override the profile', () => {
  const config = connectionConfigFromEnv({
    TEMPORAL_CONFIG_FILE: configFile,
    TEMPORAL_PROFILE: 'cloud',
    TEMPORAL_ADDRESS: 'env.example:7233',
    TEMPORAL_NAMESPACE: 'env-ns',
    TEMPORAL_API_KEY: 'env-key',
  });
  expect(config).toEqual({ address: 'env.example:7233', namespace: 'env-ns', apiKey: 'env-key', tls: {} });
  const plain = connectionConfigFromEnv({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'cloud', TEMPORAL_TLS: 'false' });
  expect([plain.apiKey, plain.tls]).toEqual(['profile-key', undefined]);
  const named = connectionConfigFromEnv({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'mtls', TEMPORAL_TLS_SERVER_NAME: 'env.internal' });
  expect(named.tls?.serverNameOverride).toBe('env.internal');
  expect(named.tls?.clientCertPair?.crt.toString()).toBe('CLIENT CERT');
});

test("a profile's tls.disabled = true keeps TLS off despite its API key; TEMPORAL_TLS=true turns it back on", () => {
  expect(connectionConfigFromEnv({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'plain' }).tls).toBeUndefined();
  expect(connectionConfigFromEnv({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'plain', TEMPORAL_TLS: 'true' }).tls).toEqual({});
});

describe('a TEMPORAL_CONFIG_FILE that is not there (envconfig: a missing file is no file)', () => {
  const missing = () => join(dir, 'no-such.toml');

  test('without TEMPORAL_PROFILE: the defaults, and the variables still apply', () => {
    expect(connectionConfigFromEnv({ TEMPORAL_CONFIG_FILE: missing() })).toEqual(connectionConfigFromEnv({}));
    expect(connectionConfigFromEnv({ TEMPORAL_CONFIG_FILE: missing(), TEMPORAL_ADDRESS: 'env.example:7233' }).address).toBe('env.example:7233');
  });

  test('with TEMPORAL_PROFILE (even "default"): a ConfigError naming the profile and the file', () => {
    for (const name of ['cloud', 'default']) {
      const error = configError({ TEMPORAL_CONFIG_FILE: missing(), TEMPORAL_PROFILE: name });
      expect(error.message).toBe(`TEMPORAL_PROFILE: Profile '${name}' not found in config data (${missing()})`);
    }
  });
});

test('a profile the file does not have: a ConfigError naming TEMPORAL_PROFILE', () => {
  expect(configError({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'staging' }).message).toBe(
    `TEMPORAL_PROFILE: Profile 'staging' not found in config data (${configFile})`,
  );
});

test('a config file that is not TOML: a ConfigError naming TEMPORAL_CONFIG_FILE and the file', () => {
  const bad = join(dir, 'bad.toml');
  writeFileSync(bad, '[profile.default\naddress = ');
  expect(configError({ TEMPORAL_CONFIG_FILE: bad }).message).toMatch(new RegExp(`^TEMPORAL_CONFIG_FILE: cannot load ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
});

test("a profile's empty address is rejected, naming the profile and the key", () => {
  const file = join(dir, 'empty.toml');
  writeFileSync(file, '[profile.default]\naddress = ""\n');
  const message = configError({ TEMPORAL_CONFIG_FILE: file }).message;
  expect(message).toMatch(/^profile 'default' of .*empty\.toml: address: /);
  // The variable overrides the bad value, so it is never used.
  expect(connectionConfigFromEnv({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_ADDRESS: 'ok:7233' }).address).toBe('ok:7233');
});

describe('TLS by API key', () => {
  test('an API key turns TLS on', () => {
    const config = connectionConfigFromEnv({ TEMPORAL_API_KEY: 'k' });
    expect([config.apiKey, config.tls]).toEqual(['k', {}]);
  });

  test.each(['false', '0'])('unless TEMPORAL_TLS=%s', (value) => {
    const config = connectionConfigFromEnv({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: value });
    expect([config.apiKey, config.tls]).toEqual(['k', undefined]);
  });

  test.each(['true', '1'])('TEMPORAL_TLS=%s turns TLS on without a key', (value) => {
    expect(connectionConfigFromEnv({ TEMPORAL_TLS: value }).tls).toEqual({});
  });

  test('TEMPORAL_TLS_SERVER_NAME alone does not turn TLS on', () => {
    expect(connectionConfigFromEnv({ TEMPORAL_TLS_SERVER_NAME: 'x.internal' }).tls).toBeUndefined();
    expect(connectionConfigFromEnv({ TEMPORAL_TLS_SERVER_NAME: 'x.internal', TEMPORAL_TLS: 'true' }).tls).toEqual({ serverNameOverride: 'x.internal' });
  });
});

describe('certs from the variables', () => {
  test('a client cert pair turns TLS on, even with TEMPORAL_TLS=false', () => {
    for (const env of [{}, { TEMPORAL_TLS: 'false' }]) {
      const config = connectionConfigFromEnv({ ...env, TEMPORAL_TLS_CLIENT_CERT_PATH: certPath, TEMPORAL_TLS_CLIENT_KEY_PATH: keyPath });
      expect(config.tls?.clientCertPair?.crt.toString()).toBe('CLIENT CERT');
      expect(config.tls?.clientCertPair?.key.toString()).toBe('CLIENT KEY');
    }
  });

  test('a CA cert turns TLS on', () => {
    expect(connectionConfigFromEnv({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: caPath }).tls?.serverRootCACertificate?.toString()).toBe('SERVER CA');
  });

  test('the _DATA variables give the PEM itself', () => {
    const config = connectionConfigFromEnv({ TEMPORAL_TLS_CLIENT_CERT_DATA: 'PEM CERT', TEMPORAL_TLS_CLIENT_KEY_PATH: keyPath, TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'PEM CA' });
    expect(config.tls?.clientCertPair?.crt.toString()).toBe('PEM CERT');
    expect(config.tls?.clientCertPair?.key.toString()).toBe('CLIENT KEY');
    expect(config.tls?.serverRootCACertificate?.toString()).toBe('PEM CA');
  });

  test.each([
    ['cert without key', { TEMPORAL_TLS_CLIENT_CERT_PATH: 'PATH' }],
    ['key without cert', { TEMPORAL_TLS_CLIENT_KEY_PATH: 'PATH' }],
    ['cert data without key', { TEMPORAL_TLS_CLIENT_CERT_DATA: 'PEM' }],
  ])('%s: a ConfigError naming both variables', (_name, env) => {
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === 'PATH' ? certPath : v]));
    const message = configError(resolved).message;
    expect(message).toContain('TEMPORAL_TLS_CLIENT_CERT_PATH');
    expect(message).toContain('TEMPORAL_TLS_CLIENT_KEY_PATH');
    expect(message).toMatch(/go together/);
  });

  test("a profile's cert without its key is the same error", () => {
    expect(configError({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'halfpair' }).message).toMatch(/^TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together/);
  });

  test('a path and data for the same cert: a ConfigError naming both variables', () => {
    const message = configError({ TEMPORAL_TLS_CLIENT_CERT_PATH: certPath, TEMPORAL_TLS_CLIENT_CERT_DATA: 'PEM', TEMPORAL_TLS_CLIENT_KEY_PATH: keyPath }).message;
    expect(message).toMatch(/^TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_CERT_DATA: give one, not both/);
  });

  test('an unreadable cert file: a ConfigError naming the variable and the path', () => {
    const gone = join(dir, 'gone.pem');
    expect(configError({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: gone }).message).toMatch(new RegExp(`^TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read ${gone}: .*ENOENT`));
    expect(configError({ TEMPORAL_TLS_CLIENT_CERT_PATH: certPath, TEMPORAL_TLS_CLIENT_KEY_PATH: gone }).message).toMatch(/^TEMPORAL_TLS_CLIENT_KEY_PATH: cannot read .*gone\.pem/);
  });

  test("an unreadable file of a profile names the profile's key", () => {
    const file = join(dir, 'gone-ca.toml');
    writeFileSync(file, `[profile.default.tls]\nserver_ca_cert_path = "${join(dir, 'gone.pem')}"\n`);
    expect(configError({ TEMPORAL_CONFIG_FILE: file }).message).toMatch(/^profile 'default' of .*gone-ca\.toml: tls\.server_ca_cert_path: cannot read .*gone\.pem/);
  });
});

test.each([
  ['TEMPORAL_ADDRESS', ''],
  ['TEMPORAL_NAMESPACE', ''],
  ['TEMPORAL_API_KEY', ''],
  ['TEMPORAL_TLS', 'yes'],
  ['TEMPORAL_TLS_CLIENT_CERT_PATH', ''],
  ['TEMPORAL_CONFIG_FILE', ''],
  ['TEMPORAL_PROFILE', ''],
  ['TEMPORAL_UI_URL', 'not a url'],
])('%s=%j is rejected, naming the variable', (variable, value) => {
  expect(configError({ [variable]: value }).message).toMatch(new RegExp(`^${variable}: `));
});

test('TEMPORAL_UI_URL gives the links; a remote address without it gives none', () => {
  const config = connectionConfigFromEnv({ TEMPORAL_ADDRESS: 'remote.example:7233', TEMPORAL_NAMESPACE: 'a b', TEMPORAL_UI_URL: 'https://ui.example/' });
  expect(workflowUiLink(config, 'wf/1')).toBe('https://ui.example/namespaces/a%20b/workflows/wf%2F1');
  expect(connectionConfigFromEnv({ TEMPORAL_ADDRESS: 'remote.example:7233' }).uiUrl).toBeUndefined();
  expect(connectionConfigFromEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1' }).uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:/);
});

// envconfig's default place is per platform: $XDG_CONFIG_HOME (or ~/.config) on Linux.
(process.platform === 'linux' ? test : test.skip)('a user config file in the default place is read when TEMPORAL_CONFIG_FILE is unset (as the Temporal CLI does)', () => {
  const home = join(dir, 'xdg');
  mkdirSync(join(home, 'temporalio'), { recursive: true });
  writeFileSync(join(home, 'temporalio', 'temporal.toml'), '[profile.default]\nnamespace = "from-user-file"\n');
  expect(connectionConfigFromEnv({ XDG_CONFIG_HOME: home }).namespace).toBe('from-user-file');
});
