/**
 * Every activity a dxp worker registers, built from its dependencies: the registry of tasks and
 * evaluators, the results sink, the dataset sources, Arize, the model client and the sandboxes.
 * Nothing is reached through process-wide state: two workers in one process keep their own.
 */
import { createAgentActivities } from './agent-activities';
import type { ArizeClient } from './arize/types';
import { createExperimentActivities, type ExperimentActivityDeps } from './experiment-activities';
import { createLogActivities } from './log-activities';
import { createTaskActivities } from './task-activities';
import type { PhoenixClient } from './phoenix/types';
import { createPhoenixUploadActivities } from './phoenix-upload-activities';
import type { ActivityServices } from './services';
import { createUploadActivities } from './upload-activities';

export function createActivities(deps: ExperimentActivityDeps & ActivityServices & { arize?: () => ArizeClient; phoenix?: () => PhoenixClient }) {
  const services: ActivityServices = { model: deps.model, sandboxes: deps.sandboxes };
  return {
    ...createExperimentActivities(deps),
    ...createTaskActivities(deps.registry, services),
    ...createAgentActivities(deps.registry, services),
    ...createUploadActivities(deps.arize ? { arize: deps.arize } : {}),
    ...createPhoenixUploadActivities(deps.phoenix ? { phoenix: deps.phoenix } : {}),
    ...createLogActivities({ datasets: deps.datasets }),
  };
}

export { createRegistry, type TaskRegistry } from './tasks/registry';
export { loadTaskModule } from './tasks/load-module';
export type { ActivityServices } from './services';
