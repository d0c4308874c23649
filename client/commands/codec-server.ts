/**
 * `dxp codec-server`: decrypts payloads for the Temporal UI and CLI of someone who holds the keys
 * (DXP_CODEC_KEYS or DXP_CODEC_KEY_FILE, as the workers have them). The token comes from the
 * environment, never a flag: flags show in `ps`.
 */
import { codecFromEnv } from '../../connection/codec/data-converter';
import { DEFAULT_UI_ORIGINS, startCodecServer } from '../codec-server';
import { KEY_FILE_VAR, KEYS_VAR } from '../../connection/codec/keys';
import { ConfigError } from '../../connection/config';
import { CliError, EXIT } from '../exit-codes';

export const TOKEN_VAR = 'DXP_CODEC_SERVER_TOKEN';
const MIN_TOKEN_LENGTH = 16;

export interface CodecServerCommandOptions {
  port: number;
  host: string;
  /** Browser origins allowed; default the local dev server's UI. */
  origin?: string[];
}

export async function codecServerCommand(opts: CodecServerCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const codec = loadCodec(env);
  const token = env[TOKEN_VAR] || undefined;
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) throw new CliError(`${TOKEN_VAR} is shorter than ${MIN_TOKEN_LENGTH} characters (make one with \`openssl rand -hex 32\`)`, EXIT.badInput);
  // Anyone who reaches an open codec server can decrypt: off this machine, only with a token.
  if (token === undefined && !isLoopback(opts.host)) throw new CliError(`--host ${opts.host} is reachable from other machines: set ${TOKEN_VAR} first`, EXIT.badInput);
  const origins = opts.origin?.length ? opts.origin : DEFAULT_UI_ORIGINS;
  let running;
  try {
    running = await startCodecServer({ codec, port: opts.port, host: opts.host, origins, token, log: (line) => process.stderr.write(`dxp codec-server: ${line}\n`) });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new CliError(`cannot listen on ${opts.host}:${opts.port}: ${code}`, EXIT.badInput);
    throw err;
  }
  process.stdout.write(
    `dxp codec-server on ${running.url} (keys ${codec.keyIds.join(', ')}; ${codec.keyIds[0]} encrypts)${token ? ', bearer token required' : ''}; browser origins ${origins.join(', ')}\n` +
      `Temporal UI: set ${running.url} as the codec server endpoint (its Codec Server settings), or start the dev server with \`temporal server start-dev --ui-codec-endpoint ${running.url}\`.\n` +
      `Temporal CLI: ${token ? `TEMPORAL_CODEC_AUTH="Bearer $${TOKEN_VAR}" ` : ''}temporal workflow show --codec-endpoint ${running.url} ...\n` +
      (token ? 'The Temporal UI sends only its own login token (and only to https endpoints): for the UI, run without a token on 127.0.0.1.\n' : '') +
      'Ctrl-C stops it.\n',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
  return EXIT.ok;
}

function loadCodec(env: NodeJS.ProcessEnv) {
  let codec;
  try {
    codec = codecFromEnv(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`configuration: ${err.message}`, EXIT.badInput);
    throw err;
  }
  if (!codec) throw new CliError(`no keys: set ${KEYS_VAR} or ${KEY_FILE_VAR} as for the workers`, EXIT.badInput);
  return codec;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `--origin` values as browsers send them: scheme://host[:port], nothing after. */
export function parseOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`not a URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`not an http(s) origin: ${value}`);
  if (url.pathname !== '/' || url.search || url.hash || url.username) throw new Error(`an origin has no path, query or credentials: ${value} (try ${url.origin})`);
  return url.origin;
}
