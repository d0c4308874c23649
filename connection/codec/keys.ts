/**
 * Payload encryption keys from the environment: `DXP_CODEC_KEYS` (`id:base64key,...`) or
 * `DXP_CODEC_KEY_FILE` (one `id:base64key` a line). The first key encrypts, every key decrypts:
 * to rotate, put the new key first and keep the old ones after it for as long as histories
 * encrypted with them are read. Errors name the variable, never a key's bytes.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config';

export const KEYS_VAR = 'DXP_CODEC_KEYS';
export const KEY_FILE_VAR = 'DXP_CODEC_KEY_FILE';
export const KEY_BYTES = 32;

const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
// Standard or URL-safe alphabet, optional padding: what `openssl rand -base64 32` and Node print.
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;

export interface CodecKeys {
  /** The key new payloads are encrypted with: the first one listed. */
  encryptWith: string;
  /** Every key by id, the first one included: payloads of any of them decrypt. */
  keys: ReadonlyMap<string, Buffer>;
}

/** The configured keys, or undefined when neither variable is set (no encryption). */
export function codecKeysFromEnv(env: NodeJS.ProcessEnv = process.env): CodecKeys | undefined {
  const inline = env[KEYS_VAR]?.trim() ? env[KEYS_VAR] : undefined;
  const file = env[KEY_FILE_VAR]?.trim() ? env[KEY_FILE_VAR] : undefined;
  if (inline !== undefined && file !== undefined) throw new ConfigError(`${KEYS_VAR} and ${KEY_FILE_VAR} are both set: set one of them`);
  if (inline !== undefined) {
    const entries = inline.split(',').map((text, i) => ({ text: text.trim(), where: `entry ${i + 1}` }));
    return parseEntries(KEYS_VAR, entries.filter((e) => e.text !== ''));
  }
  if (file !== undefined) {
    const entries = readKeyFile(file)
      .split(/\r?\n/)
      .map((text, i) => ({ text: text.trim(), where: `line ${i + 1}` }))
      .filter((e) => e.text !== '' && !e.text.startsWith('#'));
    return parseEntries(`${KEY_FILE_VAR} (${file})`, entries);
  }
  return undefined;
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${KEY_FILE_VAR}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function parseEntries(source: string, entries: { text: string; where: string }[]): CodecKeys {
  if (entries.length === 0) throw new ConfigError(`${source}: no keys (expected id:base64key entries)`);
  const keys = new Map<string, Buffer>();
  let first: string | undefined;
  for (const { text, where } of entries) {
    const [id, key] = parseEntry(source, text, where);
    if (keys.has(id)) throw new ConfigError(`${source}: ${where}: key id '${id}' is listed twice`);
    keys.set(id, key);
    first ??= id;
  }
  return { encryptWith: first!, keys };
}

/** Messages quote the id only once it is known to be one: a misplaced key never reaches a log. */
function parseEntry(source: string, text: string, where: string): [string, Buffer] {
  const colon = text.indexOf(':');
  if (colon < 0) throw new ConfigError(`${source}: ${where} is not id:base64key`);
  const id = text.slice(0, colon).trim();
  const encoded = text.slice(colon + 1).trim();
  if (!ID_PATTERN.test(id)) throw new ConfigError(`${source}: ${where}: the key id must be 1-64 characters of A-Z a-z 0-9 . _ -`);
  if (!BASE64_PATTERN.test(encoded)) throw new ConfigError(`${source}: ${where} (key id '${id}'): the key is not base64`);
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new ConfigError(`${source}: ${where} (key id '${id}'): the key is ${key.length} bytes, AES-256 needs ${KEY_BYTES} (make one with \`openssl rand -base64 32\`)`);
  }
  return [id, key];
}
