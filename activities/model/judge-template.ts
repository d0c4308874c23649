/**
 * A judge's prompt template: `{{root.path}}` placeholders over the evaluator's arguments (input,
 * output, expected, metadata, error, params, and the dataset row), checked when the judge is made
 * so that a typo fails at load instead of every evaluation, and filled for each run (strings as
 * is, other values as JSON, missing ones empty).
 */
import { rowOf, type ScoredRun } from '../tasks/define';

/** Placeholder roots a template may use: `{{input}}`, `{{metadata.topic}}`, `{{row.question}}`, ... */
export const TEMPLATE_ROOTS = ['input', 'output', 'expected', 'metadata', 'error', 'params', 'row'] as const;

/** Fills `{{root.path}}` placeholders from the evaluator's arguments; strings as is, other values as JSON, missing ones empty. */
export function renderTemplate(template: string, args: ScoredRun): string {
  const roots: Record<(typeof TEMPLATE_ROOTS)[number], unknown> = {
    input: args.input,
    output: args.output,
    expected: args.expected,
    metadata: args.metadata,
    error: args.error,
    params: args.params,
    row: rowOf(args),
  };
  return template.replace(PLACEHOLDER, (_match, path: string) => {
    const [root, ...rest] = path.split('.');
    let value: unknown = roots[root as keyof typeof roots];
    for (const key of rest) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
    return display(value);
  });
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}/g;

function display(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value, null, 2);
  return String(value);
}

export function checkTemplate(name: string, template: string): void {
  if (typeof template !== 'string' || template.trim() === '') throw new TypeError(`judge '${name}': template must be a non-empty string`);
  const unknown = [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1] ?? '')
    .filter((path) => !(TEMPLATE_ROOTS as readonly string[]).includes(path.split('.')[0] ?? ''));
  if (unknown.length > 0) {
    throw new TypeError(`judge '${name}': unknown placeholders ${unknown.map((p) => `{{${p}}}`).join(', ')}; use ${TEMPLATE_ROOTS.map((r) => `{{${r}}}`).join(', ')} (and paths such as {{metadata.x}})`);
  }
}
