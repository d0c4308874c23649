/**
 * The worker's registry of tasks and evaluators (built-ins plus the user's module), and the
 * planning that turns a spec into a TaskPlan: the steps and the options of every activity.
 */
import type { ActivityPlan, AgentPlan, EvaluatorPlan, StepPlan, TaskPlan } from '../../core/records';
import { evaluatorColumn, type ExperimentSpec } from '../../core/spec';
import { demoModule } from './builtins';
import { AGENT_DEFAULTS, isAgentTask, type AgentDefinition, type AgentTask } from './agent';
import type { ActivityDefaults, EvaluatorDefinition, MultiStepTask, StepDefinition, TaskDefinition, TaskModule } from './define';
import { FAILURE_TYPES } from '../../core/failure-types';

const DEFAULT_HEARTBEAT = '30s';
const EVALUATOR_DEFAULTS: ActivityPlan = {
  timeout: '1m',
  retry: { maximumAttempts: 3, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
};
export const CLEANUP_STEP = 'cleanup';

export class InvalidPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FAILURE_TYPES.invalidPlan;
  }
}

export interface TaskRegistry {
  taskNames(): string[];
  evaluatorNames(): string[];
  /** The task as steps (a simple function is one step named `run`); throws for an agent task. */
  task(name: string): MultiStepTask;
  /** The agent of an agent task. */
  agent(name: string): AgentDefinition;
  evaluator(name: string): EvaluatorDefinition;
  /** Resolves a spec against this registry; throws InvalidPlanError naming what is wrong. */
  plan(spec: ExperimentSpec, options?: PlanOptions): TaskPlan;
}

export interface PlanOptions {
  /** The task queue of model calls (agent turns, model-bound evaluators); default: the experiment's queue. */
  modelTaskQueue?: string;
}

export function createRegistry(...modules: TaskModule[]): TaskRegistry {
  const tasks = new Map<string, MultiStepTask>();
  const agents = new Map<string, AgentDefinition>();
  const evaluators = new Map<string, EvaluatorDefinition>();
  for (const module of [demoModule, ...modules]) {
    for (const [name, def] of Object.entries(module.tasks ?? {})) {
      if (isAgentTask(def)) {
        agents.set(name, normalizeAgent(name, def.agent));
        tasks.delete(name);
      } else {
        tasks.set(name, normalizeTask(name, def));
        agents.delete(name);
      }
    }
    for (const [name, def] of Object.entries(module.evaluators ?? {})) {
      evaluators.set(name, typeof def === 'function' ? { evaluate: def } : def);
    }
  }

  const registry: TaskRegistry = {
    taskNames: () => [...tasks.keys(), ...agents.keys()].sort(),
    evaluatorNames: () => [...evaluators.keys()].sort(),
    task(name) {
      const task = tasks.get(name);
      if (!task && agents.has(name)) throw new InvalidPlanError(`task '${name}' is an agent, not a list of steps`);
      if (!task) throw new InvalidPlanError(`unknown task '${name}'; this worker has: ${registry.taskNames().join(', ')}`);
      return task;
    },
    agent(name) {
      const agent = agents.get(name);
      if (!agent) throw new InvalidPlanError(`task '${name}' is not an agent task; this worker's tasks: ${registry.taskNames().join(', ')}`);
      return agent;
    },
    evaluator(name) {
      const evaluator = evaluators.get(name);
      if (!evaluator) {
        throw new InvalidPlanError(`unknown evaluator '${name}'; this worker has: ${registry.evaluatorNames().join(', ')}`);
      }
      return evaluator;
    },
    plan(spec, options = {}) {
      const agent = agents.get(spec.task);
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

function normalizeAgent(name: string, agent: AgentDefinition): AgentDefinition {
  for (const [toolName, tool] of Object.entries(agent.tools ?? {})) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(toolName)) throw new InvalidPlanError(`agent '${name}': tool name '${toolName}' must be 1-64 letters, digits, _ or -`);
    if (toolName === AGENT_DEFAULTS.turnStep) throw new InvalidPlanError(`agent '${name}': tool name '${toolName}' is reserved for model turns`);
    if (!tool || typeof tool.run !== 'function' || typeof tool.parameters !== 'object') {
      throw new InvalidPlanError(`agent '${name}': tool '${toolName}' needs a description, a parameters JSON Schema and a run function`);
    }
  }
  if (agent.maxTurns !== undefined && !(Number.isInteger(agent.maxTurns) && agent.maxTurns >= 1)) {
    throw new InvalidPlanError(`agent '${name}': maxTurns must be a positive integer`);
  }
  if (agent.tokenBudget !== undefined && !(Number.isInteger(agent.tokenBudget) && agent.tokenBudget >= 1)) {
    throw new InvalidPlanError(`agent '${name}': tokenBudget must be a positive integer`);
  }
  return agent;
}

function normalizeTask(name: string, def: Exclude<TaskDefinition, AgentTask>): MultiStepTask {
  if (typeof def === 'function') {
    const step: StepDefinition = { name: 'run', run: (ctx) => def(ctx.row, ctx) };
    return { steps: [step] };
  }
  if (!def || !Array.isArray(def.steps) || def.steps.length === 0) {
    throw new InvalidPlanError(`task '${name}' must be a function, { steps: [...] } with at least one step, or defineAgent({...})`);
  }
  const seen = new Set<string>();
  for (const step of def.steps) {
    if (!step.name || typeof step.run !== 'function') throw new InvalidPlanError(`task '${name}': every step needs a name and a run function`);
    if (seen.has(step.name) || step.name === CLEANUP_STEP) throw new InvalidPlanError(`task '${name}': step name '${step.name}' is used twice or reserved`);
    seen.add(step.name);
  }
  return def;
}
