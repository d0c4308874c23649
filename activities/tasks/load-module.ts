/** Loads a user's task module (TypeScript or JavaScript) in the worker process. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TaskModule } from './define';

export function loadTaskModule(path: string, cwd = process.cwd()): TaskModule {
  const full = resolve(cwd, path);
  if (!existsSync(full)) throw new Error(`task module not found: ${full}`);
  // User modules load at run time: require is the point. A TypeScript one registers tsx (which
  // compiles it on require) on demand, so the installed CLI, compiled to JavaScript, needs tsx
  // only then; plain JavaScript (CommonJS, or ESM through Node's require of ES modules) loads as is.
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (/\.[cm]?tsx?$/i.test(full)) require('tsx/cjs');
  const loaded = require(full) as { default?: TaskModule } & TaskModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const module: TaskModule = loaded.default && (loaded.default.tasks || loaded.default.evaluators) ? loaded.default : loaded;
  if (!module.tasks && !module.evaluators) {
    throw new Error(`task module ${full} exports no tasks or evaluators (export default defineTasks({ tasks, evaluators }))`);
  }
  return module;
}
