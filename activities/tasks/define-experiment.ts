/**
 * The authoring API by value: one object with the dataset, the task function and the evaluator
 * functions themselves. It is both a task module (what `dxp worker --tasks` loads) and the spec
 * that runs it (what `dxp run` starts), so the names that join them are made here, never typed twice.
 *
 * ```ts
 * export default defineExperiment({
 *   name: 'shout-v1',
 *   dataset: { path: 'words.jsonl' },
 *   task: async (row) => `${String(row.input).toUpperCase()}!`,
 *   evaluators: { exact: exactMatch({ trim: true }), bang: regex({ pattern: /!$/ }) },
 * });
 * ```
 *
 * A YAML spec is the same experiment by name: `task: shout` and `evaluators: [{ use: exact-match,
 * with: { trim: true } }]` against a module's `tasks` and the built-ins.
 */
import type { ExperimentSpecInput } from '../../core/spec';
import type { EvaluatorDefinition, EvaluatorFn, TaskDefinition, TaskModule } from './define';

/** A spec's fields, with the task and evaluators as values instead of names. */
export interface ExperimentDefinition extends Omit<ExperimentSpecInput, 'task' | 'evaluators'> {
  /** A function of the row, `{ steps }`, or `defineAgent({...})`. */
  task: TaskDefinition;
  /**
   * By the column their results go in: functions, or definitions such as `exactMatch({ trim: true })`
   * and `llmJudge({...})`. They run in the order given.
   */
  evaluators?: Record<string, EvaluatorFn | EvaluatorDefinition>;
  /** The name the task is registered under in the worker; default: the experiment's name. */
  taskName?: string;
  /** As in `defineTasks`: a sandbox provider of your own for this module's worker. */
  sandboxProvider?: TaskModule['sandboxProvider'];
}

/** A task module that also carries the spec that runs it. */
export interface Experiment extends TaskModule {
  tasks: Record<string, TaskDefinition>;
  evaluators: Record<string, EvaluatorFn | EvaluatorDefinition>;
  /** The spec, naming the task and evaluators as this module registers them (validated where specs are: `dxp run`, `parseSpec`). */
  spec: ExperimentSpecInput;
}

/**
 * The registered name of an experiment's evaluator: under its task's name, so that an evaluator
 * called `exact-match` here does not replace the built-in for every other spec on the worker.
 */
export function experimentEvaluatorName(taskName: string, column: string): string {
  return `${taskName}:${column}`;
}

export function defineExperiment(definition: ExperimentDefinition): Experiment {
  const { task, evaluators = {}, taskName = definition.name, sandboxProvider, ...options } = definition;
  const registered: Experiment['evaluators'] = {};
  const refs: { name: string; use: string }[] = [];
  for (const [column, evaluator] of Object.entries(evaluators)) {
    const use = experimentEvaluatorName(taskName, column);
    registered[use] = evaluator;
    refs.push({ name: column, use });
  }
  return {
    tasks: { [taskName]: task },
    evaluators: registered,
    ...(sandboxProvider ? { sandboxProvider } : {}),
    spec: { ...options, task: taskName, evaluators: refs },
  };
}

/** True for what `defineExperiment` returns (a module with its spec). */
export function isExperiment(module: unknown): module is Experiment {
  return typeof module === 'object' && module !== null && 'spec' in module && 'tasks' in module && typeof (module as Experiment).spec === 'object';
}
