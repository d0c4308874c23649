/**
 * Looking for a secret in a database dump or file the way it could have leaked: as text, as hex
 * (PostgreSQL prints bytea in hex), and as base64 at each of the three alignments (the characters
 * that depend on its neighbours cut off).
 */
export function secretForms(secret: string): { name: string; bytes: Buffer }[] {
  const raw = Buffer.from(secret);
  const base64 = [0, 1, 2].map((pad) => {
    const encoded = Buffer.concat([Buffer.alloc(pad, 0x20), raw]).toString('base64');
    const start = Math.ceil((pad * 4) / 3) + 1;
    const end = Math.floor(((pad + raw.length) * 4) / 3) - 1;
    return { name: `base64+${pad}`, bytes: Buffer.from(encoded.slice(start, end)) };
  });
  return [{ name: 'text', bytes: raw }, { name: 'hex', bytes: Buffer.from(raw.toString('hex')) }, ...base64];
}

/** The forms of `secret` that `haystack` holds ('text', 'hex', 'base64+N'); empty when none. */
export function formsFound(haystack: Buffer, secret: string): string[] {
  return secretForms(secret).filter((f) => haystack.includes(f.bytes)).map((f) => f.name);
}
