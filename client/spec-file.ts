/**
 * Reads an experiment spec (YAML or JSON file, or an object) and validates it before anything
 * starts. Errors name every bad field by its path, with the reason.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { experimentSpecSchema, type ExperimentSpec } from '../workflows/spec';

export class SpecError extends Error {
  constructor(
    readonly source: string,
    readonly problems: { path: string; message: string }[],
  ) {
    super(`invalid experiment spec (${source}):\n${problems.map((p) => `  - ${p.path || '(root)'}: ${p.message}`).join('\n')}`);
    this.name = 'SpecError';
  }
}

/** Validates a spec object; relative dataset paths resolve against `baseDir`. */
export function parseSpec(value: unknown, source = 'spec', baseDir = process.cwd()): ExperimentSpec {
  const result = experimentSpecSchema.safeParse(value);
  if (!result.success) throw new SpecError(source, describeIssues(result.error));
  const spec = result.data;
  if (!isAbsolute(spec.dataset.path)) spec.dataset = { ...spec.dataset, path: resolve(baseDir, spec.dataset.path) };
  return spec;
}

export function loadSpecFile(path: string): ExperimentSpec {
  const full = resolve(path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    throw new SpecError(full, [{ path: '', message: `cannot read the file: ${(err as Error).message}` }]);
  }
  let value: unknown;
  try {
    value = /\.json$/i.test(full) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new SpecError(full, [{ path: '', message: `not valid ${/\.json$/i.test(full) ? 'JSON' : 'YAML'}: ${(err as Error).message}` }]);
  }
  return parseSpec(value, full, dirname(full));
}

function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
}
