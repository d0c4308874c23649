/**
 * Reads an experiment spec (YAML or JSON file, a module exporting `defineExperiment(...)`, or an
 * object) and validates it before anything starts. Errors name every bad field by its path, with the reason.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { isExperiment } from '../activities/tasks/define-experiment';
import { loadTaskModule } from '../activities/tasks/load-module';
import { experimentSpecSchema, isRemoteDataset, type ExperimentSpec } from '../core/spec';

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
  const dataset = spec.dataset;
  if (!isRemoteDataset(dataset) && !isAbsolute(dataset.path)) spec.dataset = { ...dataset, path: resolve(baseDir, dataset.path) };
  return spec;
}

/** A TypeScript or JavaScript module (a `defineExperiment` one) rather than YAML or JSON. */
export function isModuleFile(path: string): boolean {
  return /\.[cm]?[jt]sx?$/i.test(path);
}

export function loadSpecFile(path: string): ExperimentSpec {
  const full = resolve(path);
  if (isModuleFile(full)) return loadExperimentModuleSpec(full);
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

/** The spec of a module whose default export is `defineExperiment(...)`; its dataset path is relative to the module. */
function loadExperimentModuleSpec(full: string): ExperimentSpec {
  let module: unknown;
  try {
    module = loadTaskModule(full);
  } catch (err) {
    throw new SpecError(full, [{ path: '', message: `cannot load the module: ${(err as Error).message}` }]);
  }
  if (!isExperiment(module)) {
    throw new SpecError(full, [{ path: '', message: 'the module is a task module, not an experiment: export default defineExperiment({ name, dataset, task, evaluators })' }]);
  }
  return parseSpec(module.spec, full, dirname(full));
}

function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return flatten(error.issues, []);
}

/**
 * One line per problem. For a union (a dataset is a file or an Arize dataset), report the
 * branch that came closest instead of "invalid input", so the user sees the field at fault.
 */
function flatten(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]): { path: string; message: string }[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      return flatten(closest, path);
    }
    return [{ path: path.map(String).join('.'), message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message }];
  });
}
