/**
 * The worker's registry of tasks and evaluators (built-ins plus the user's module), and the
 * planning that turns a spec into a TaskPlan: the steps and the options of every activity.
 */
import type { ActivityPlan, EvaluatorPlan, StepPlan, TaskPlan } from '../../workflows/records';
import { evaluatorColumn, type ExperimentSpec } from '../../workflows/spec';
import { demoModule } from './builtins';
import type { ActivityDefaults, EvaluatorDefinition, MultiStepTask, StepDefinition, TaskDefinition, TaskModule } from './define';

const DEFAULT_HEARTBEAT = '30s';
const EVALUATOR_DEFAULTS: ActivityPlan = {
  timeout: '1m',
  retry: { maximumAttempts: 3, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
};
export const CLEANUP_STEP = 'cleanup';

export class InvalidPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPlanError';
  }
}

export interface TaskRegistry {
  taskNames(): string[];
  evaluatorNames(): string[];
  /** The task as steps (a simple function is one step named `run`). */
  task(name: string): MultiStepTask;
  evaluator(name: string): EvaluatorDefinition;
  /** Resolves a spec against this registry; throws InvalidPlanError naming what is wrong. */
  plan(spec: ExperimentSpec): TaskPlan;
}

export function createRegistry(...modules: TaskModule[]): TaskRegistry {
  const tasks = new Map<string, MultiStepTask>();
  const evaluators = new Map<string, EvaluatorDefinition>();
  for (const module of [demoModule, ...modules]) {
    for (const [name, def] of Object.entries(module.tasks ?? {})) tasks.set(name, normalizeTask(name, def));
    for (const [name, def] of Object.entries(module.evaluators ?? {})) {
      evaluators.set(name, typeof def === 'function' ? { evaluate: def } : def);
    }
  }

  const registry: TaskRegistry = {
    taskNames: () => [...tasks.keys()].sort(),
    evaluatorNames: () => [...evaluators.keys()].sort(),
    task(name) {
      const task = tasks.get(name);
      if (!task) throw new InvalidPlanError(`unknown task '${name}'; this worker has: ${registry.taskNames().join(', ')}`);
      return task;
    },
    evaluator(name) {
      const evaluator = evaluators.get(name);
      if (!evaluator) {
        throw new InvalidPlanError(`unknown evaluator '${name}'; this worker has: ${registry.evaluatorNames().join(', ')}`);
      }
      return evaluator;
    },
    plan(spec) {
      const task = registry.task(spec.task);
      const stepNames = new Set(task.steps.map((s) => s.name));
      if (task.cleanup) stepNames.add(CLEANUP_STEP);
      for (const name of Object.keys(spec.steps)) {
        if (!stepNames.has(name)) {
          throw new InvalidPlanError(`steps.${name}: task '${spec.task}' has no such step; its steps: ${[...stepNames].join(', ')}`);
        }
      }
      const steps: StepPlan[] = task.steps.map((step) => ({ name: step.name, ...resolveStep(spec, step.name, step) }));
      const cleanup = task.cleanup ? { name: CLEANUP_STEP, ...resolveStep(spec, CLEANUP_STEP, task.cleanup) } : undefined;
      const columns = new Set<string>();
      const evaluatorPlans: EvaluatorPlan[] = spec.evaluators.map((ref, i) => {
        const use = typeof ref === 'string' ? ref : ref.use;
        const column = evaluatorColumn(ref);
        if (columns.has(column)) throw new InvalidPlanError(`evaluators.${i}: two evaluators named '${column}'; give one a name`);
        columns.add(column);
        const def = registry.evaluator(use);
        return {
          column,
          use,
          ...(typeof ref === 'object' && ref.with ? { params: ref.with } : {}),
          timeout: spec.evaluation.timeout ?? def.timeout ?? EVALUATOR_DEFAULTS.timeout,
          retry: { ...EVALUATOR_DEFAULTS.retry, ...def.retry, ...spec.evaluation.retry },
        };
      });
      return { task: spec.task, steps, ...(cleanup ? { cleanup } : {}), evaluators: evaluatorPlans };
    },
  };
  return registry;
}

/** Precedence: the spec's per-step override, then the step's own defaults, then the spec-wide defaults. */
function resolveStep(spec: ExperimentSpec, name: string, step: ActivityDefaults): ActivityPlan {
  const override = spec.steps[name] ?? {};
  const declared = step.heartbeat === true ? (spec.heartbeat ?? DEFAULT_HEARTBEAT) : step.heartbeat;
  const heartbeat = override.heartbeat ?? declared;
  return {
    timeout: override.timeout ?? step.timeout ?? spec.timeout,
    ...(heartbeat !== undefined ? { heartbeat } : {}),
    retry: { ...spec.retry, ...step.retry, ...override.retry },
  };
}

function normalizeTask(name: string, def: TaskDefinition): MultiStepTask {
  if (typeof def === 'function') {
    const step: StepDefinition = { name: 'run', run: (ctx) => def(ctx.row, ctx) };
    return { steps: [step] };
  }
  if (!def || !Array.isArray(def.steps) || def.steps.length === 0) {
    throw new InvalidPlanError(`task '${name}' must be a function or { steps: [...] } with at least one step`);
  }
  const seen = new Set<string>();
  for (const step of def.steps) {
    if (!step.name || typeof step.run !== 'function') throw new InvalidPlanError(`task '${name}': every step needs a name and a run function`);
    if (seen.has(step.name) || step.name === CLEANUP_STEP) throw new InvalidPlanError(`task '${name}': step name '${step.name}' is used twice or reserved`);
    seen.add(step.name);
  }
  return def;
}
