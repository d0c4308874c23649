/**
 * Turns one parsed dataset row into an `Example`, binding columns the way Arize's SDK does.
 * A row that cannot be bound becomes a malformed `Example` so it fails alone instead of
 * failing the whole experiment.
 */
import type { BindingSpec } from '../../core/spec';
import type { Example } from '../../core/records';
import { isPlainObject } from './json';

const DEFAULT_INPUT = ['input', 'attributes.input.value'];
const DEFAULT_EXPECTED = ['expected', 'expected_output', 'output', 'attributes.output.value'];
const DEFAULT_METADATA = ['metadata', 'attributes.metadata'];

/**
 * Binds one row the way Arize's SDK does. Explicit columns win; otherwise the first default
 * column present. CSV cells of the input/expected/metadata columns holding JSON objects or
 * arrays are parsed. An explicitly named column missing from a row makes the row malformed.
 */
export function bindRow(row: Record<string, unknown>, index: number, spec: BindingSpec, csv: boolean): Example {
  const n = index + 1;
  const fail = (reason: string) => malformed(index, `row ${n}: ${reason}`);

  let id = `row-${n}`;
  const idColumn = spec.idColumn ?? (lookup(row, 'id') ? 'id' : undefined);
  if (idColumn !== undefined) {
    const found = lookup(row, idColumn);
    if (!found) return fail(`missing id column '${idColumn}'`);
    const value = found.value;
    if (value !== null && typeof value === 'object') return fail(`id in column '${idColumn}' is not a string or number`);
    if (value === null || value === undefined || String(value).trim() === '') return fail(`empty id in column '${idColumn}'`);
    id = String(value);
  }

  const input = pick(row, spec.inputColumn, DEFAULT_INPUT);
  if (!input) return fail(`missing input column '${spec.inputColumn}'`);
  const expected = pick(row, spec.expectedColumn, DEFAULT_EXPECTED);
  if (!expected) return fail(`missing expected column '${spec.expectedColumn}'`);
  const metadata = pick(row, spec.metadataColumn, DEFAULT_METADATA);
  if (!metadata) return fail(`missing metadata column '${spec.metadataColumn}'`);

  const cell = (value: unknown) => (csv ? parseJsonCell(value) : value);
  return {
    id,
    index,
    input: input.column === undefined ? row : cell(input.value),
    expected: expected.column === undefined ? null : cell(expected.value),
    metadata: toObject(cell(metadata.value)),
    row,
  };
}

/** The example for a row that could not be read or bound; `reason` says why, for the run record. */
export function malformed(index: number, reason: string): Example {
  return { id: `row-${index + 1}`, index, input: null, expected: null, metadata: {}, row: {}, malformed: reason };
}

/** The explicit column, else the first default present; `column` undefined means none was present. Null: explicit column missing. */
function pick(
  row: Record<string, unknown>,
  explicit: string | undefined,
  defaults: string[],
): { column?: string; value?: unknown } | null {
  if (explicit !== undefined) {
    const found = lookup(row, explicit);
    return found ? { column: explicit, value: found.value } : null;
  }
  for (const column of defaults) {
    const found = lookup(row, column);
    if (found) return { column, value: found.value };
  }
  return {};
}

/** A flat key (`attributes.input.value` as Arize exports it), else a nested path. */
function lookup(row: Record<string, unknown>, column: string): { value: unknown } | null {
  if (Object.hasOwn(row, column) && row[column] !== undefined) return { value: row[column] };
  if (!column.includes('.')) return null;
  let current: unknown = row;
  for (const part of column.split('.')) {
    if (!isPlainObject(current) || !Object.hasOwn(current, part)) return null;
    current = current[part];
  }
  return current === undefined ? null : { value: current };
}

/** CSV cells are always strings, so a JSON object or array in one is parsed; anything else is kept as is. */
function parseJsonCell(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (!text.startsWith('{') && !text.startsWith('[')) return value;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return value;
  }
}

/** Metadata must be an object; a JSON-object string counts, anything else means no metadata. */
function toObject(value: unknown): Record<string, unknown> {
  if (isPlainObject(value)) return value;
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isPlainObject(parsed)) return parsed;
    } catch {
      // not JSON: no metadata
    }
  }
  return {};
}
