/**
 * The worker's registry of tasks and evaluators (built-ins, the demo tasks, the user's modules): checks each
 * definition once, when the worker starts, and looks them up by name. planner.ts turns a spec
 * into a TaskPlan against it.
 */
import type { TaskPlan } from '../../core/records';
import type { ExperimentSpec } from '../../core/spec';
import { builtinEvaluators } from './builtins';
import { demoTasks } from './demo-tasks';
import { AGENT_DEFAULTS, isAgentTask, type AgentDefinition, type AgentTask } from './agent';
import type { EvaluatorDefinition, MultiStepTask, StepDefinition, TaskDefinition, TaskModule } from './define';
import { InvalidPlanError } from './invalid-plan';
import { CLEANUP_STEP, planTask, type PlanLookup, type PlanOptions } from './planner';

export { InvalidPlanError } from './invalid-plan';
export type { PlanOptions } from './planner';

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

export function createRegistry(...modules: TaskModule[]): TaskRegistry {
  const tasks = new Map<string, MultiStepTask>();
  const agents = new Map<string, AgentDefinition>();
  const evaluators = new Map<string, EvaluatorDefinition>();
  // The built-ins first: a module's task or evaluator of the same name replaces them.
  const builtins: TaskModule[] = [{ evaluators: builtinEvaluators }, demoTasks];
  for (const module of [...builtins, ...modules]) {
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

  const lookup: PlanLookup = {
    task: (name) => registry.task(name),
    agentOf: (name) => agents.get(name),
    evaluator: (name) => registry.evaluator(name),
  };
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
    plan: (spec, options = {}) => planTask(lookup, spec, options),
  };
  return registry;
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
