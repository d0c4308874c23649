/** Arize resource ids are base64 strings that decode to `Type:...` (e.g. `U3BhY2U6MTIz` is `Space:123`). */

const BASE64 = /^[A-Za-z0-9+/_-]{4,}={0,2}$/;
const DECODED_ID = /^[A-Za-z][A-Za-z0-9]*:[\x21-\x7e]+$/;

/** True when `value` looks like an Arize resource id rather than a name. */
export function looksLikeId(value: string): boolean {
  if (!BASE64.test(value)) return false;
  return DECODED_ID.test(Buffer.from(value, 'base64').toString('latin1'));
}
