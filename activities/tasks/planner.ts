/**
 * Planning: a spec resolved against the worker's tasks and evaluators into a TaskPlan, the steps
 * and the options (timeouts, heartbeats, retries, task queues) of every activity the example runs.
 * Throws InvalidPlanError naming what does not fit.
 */
import type { ActivityPlan, AgentPlan, EvaluatorPlan, StepPlan, TaskPlan } from '../../core/records';
import { evaluatorColumn, type ExperimentSpec } from '../../core/spec';
import { AGENT_DEFAULTS, type AgentDefinition } from './agent';
import type { ActivityDefaults, EvaluatorDefinition, MultiStepTask } from './define';
import { InvalidPlanError } from './invalid-plan';

const DEFAULT_HEARTBEAT = '30s';
const EVALUATOR_DEFAULTS: ActivityPlan = {
  timeout: '1m',
  retry: { maximumAttempts: 3, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
};
export const CLEANUP_STEP = 'cleanup';

export interface PlanOptions {
  /** The task queue of model calls (agent turns, model-bound evaluators); default: the experiment's queue. */
  modelTaskQueue?: string;
}

/** What planning looks up by name (the registry; throws InvalidPlanError for an unknown name). */
export interface PlanLookup {
  task(name: string): MultiStepTask;
  /** The agent of an agent task; undefined for a task of steps. */
  agentOf(name: string): AgentDefinition | undefined;
  evaluator(name: string): EvaluatorDefinition;
}

export function planTask(registry: PlanLookup, spec: ExperimentSpec, options: PlanOptions = {}): TaskPlan {
  const agent = registry.agentOf(spec.task);
  const task = agent ? undefined : registry.task(spec.task);
  const stepNames = new Set(agent ? [AGENT_DEFAULTS.turnStep, ...Object.keys(agent.tools ?? {})] : task!.steps.map((s) => s.name));
  if (task?.cleanup) stepNames.add(CLEANUP_STEP);
  for (const name of Object.keys(spec.steps)) {
    if (!stepNames.has(name)) {
      const what = agent ? 'its model turns (turn) and tools' : 'its steps';
      throw new InvalidPlanError(`steps.${name}: task '${spec.task}' has no such step; ${what}: ${[...stepNames].join(', ')}`);
    }
  }
  if (spec.agent && !agent) throw new InvalidPlanError(`agent: task '${spec.task}' is not an agent task`);
  const steps: StepPlan[] = task ? task.steps.map((step) => ({ name: step.name, ...resolveStep(spec, step.name, step) })) : [];
  const cleanup = task?.cleanup ? { name: CLEANUP_STEP, ...resolveStep(spec, CLEANUP_STEP, task.cleanup) } : undefined;
  const agentPlan = agent ? planAgent(spec, agent, options) : undefined;
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
      ...(def.usesModel && options.modelTaskQueue ? { taskQueue: options.modelTaskQueue } : {}),
      ...(!def.usesModel && def.local !== false ? { local: true as const } : {}),
    };
  });
  return { task: spec.task, steps, ...(cleanup ? { cleanup } : {}), ...(agentPlan ? { agent: agentPlan } : {}), evaluators: evaluatorPlans };
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

/** Turns and tool calls take step options like steps do; model turns go to the model task queue. */
function planAgent(spec: ExperimentSpec, agent: AgentDefinition, options: PlanOptions): AgentPlan {
  const model = agent.model ?? {};
  // The spec-wide retry is for the task's own steps: a model turn keeps its 429-proof defaults unless overridden by name.
  const override = spec.steps[AGENT_DEFAULTS.turnStep] ?? {};
  const turn: ActivityPlan = {
    timeout: override.timeout ?? model.timeout ?? AGENT_DEFAULTS.turn.timeout,
    heartbeat: override.heartbeat ?? model.heartbeat ?? AGENT_DEFAULTS.turn.heartbeat,
    retry: { ...AGENT_DEFAULTS.turn.retry, ...model.retry, ...override.retry },
    ...(options.modelTaskQueue ? { taskQueue: options.modelTaskQueue } : {}),
  };
  const tools: Record<string, ActivityPlan> = {};
  for (const [name, tool] of Object.entries(agent.tools ?? {})) tools[name] = resolveStep(spec, name, tool);
  const tokenBudget = spec.agent?.tokenBudget ?? agent.tokenBudget;
  return {
    maxTurns: spec.agent?.maxTurns ?? agent.maxTurns ?? AGENT_DEFAULTS.maxTurns,
    ...(tokenBudget !== undefined ? { tokenBudget } : {}),
    turn,
    tools,
    hasOutput: typeof agent.output === 'function',
  };
}
