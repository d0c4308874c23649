/**
 * Guards eslint.config.js: workflow code must not import Node APIs, HTTP clients or activity
 * implementations (they break determinism on replay), while type-only imports stay allowed.
 * Probe files are linted as text at paths that need not exist.
 */
import * as path from 'node:path';
import { ESLint, type Linter } from 'eslint';

const root = path.resolve(__dirname, '..');
const IMPORT_RULE = '@typescript-eslint/no-restricted-imports';

let eslint: ESLint;
beforeAll(() => {
  // ESLint loads its config with import(), which Jest's VM rejects: hand it the same file.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require('../eslint.config.js') as Linter.Config[];
  eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: config });
});

/** Messages of `rule` for `code` linted as if it were the file `relPath`. */
async function lint(code: string, relPath: string, rule = IMPORT_RULE): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, relPath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === rule).map((m) => m.message);
}

const WORKFLOW_FILE = 'workflows/__lint-probe__.ts';

test.each([
  ['node:fs', 'readFileSync'],
  ['fs', 'readFileSync'],
  ['undici', 'fetch'],
  ['../activities/task-activities', 'createTaskActivities'],
  ['@temporalio/activity', 'Context'],
])('workflow code may not import a value from %s', async (source, name) => {
  const messages = await lint(`import { ${name} } from '${source}';\nexport const used = ${name};`, WORKFLOW_FILE);
  expect(messages).toHaveLength(1);
  expect(messages[0]).toContain(`'${source}'`);
});

test('type-only imports stay allowed in workflow code', async () => {
  const code = [
    "import type { TaskActivities } from '../activities/task-activities';",
    "import { type ExperimentActivities } from '../activities/experiment-activities';",
    "import type { Stats } from 'node:fs';",
    'export type T = TaskActivities | ExperimentActivities | Stats;',
  ].join('\n');
  expect(await lint(code, WORKFLOW_FILE)).toEqual([]);
});

test('activities may import Node built-ins', async () => {
  const code = "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;";
  expect(await lint(code, 'activities/__lint-probe__.ts')).toEqual([]);
});

test('Node globals are flagged in workflow code only', async () => {
  const code = 'export const env = process.env.X;';
  expect(await lint(code, WORKFLOW_FILE, 'no-restricted-globals')).toHaveLength(1);
  expect(await lint(code, 'activities/__lint-probe__.ts', 'no-restricted-globals')).toEqual([]);
});
