/** Loads a user's task module (TypeScript or JavaScript) in the worker process. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TaskModule } from './define';

export function loadTaskModule(path: string, cwd = process.cwd()): TaskModule {
  const full = resolve(cwd, path);
  if (!existsSync(full)) throw new Error(`task module not found: ${full}`);
  // tsx compiles TypeScript on require; a no-op for plain JavaScript. User modules load at run time: require is the point.
  /* eslint-disable @typescript-eslint/no-require-imports */
  require('tsx/cjs');
  const loaded = require(full) as { default?: TaskModule } & TaskModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const module: TaskModule = loaded.default && (loaded.default.tasks || loaded.default.evaluators) ? loaded.default : loaded;
  if (!module.tasks && !module.evaluators) {
    throw new Error(`task module ${full} exports no tasks or evaluators (export default defineTasks({ tasks, evaluators }))`);
  }
  return module;
}
