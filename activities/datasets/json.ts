/** Small JSON-value checks shared by the dataset readers, the row binder and the cursor decoder. */

/** An object that can hold columns: not null and not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON name of a value's type, for error messages ('array' and 'null' rather than 'object'). */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}
