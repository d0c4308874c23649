/** Every activity a dxp worker registers, built from its dependencies. */
import { createExperimentActivities, type ExperimentActivityDeps } from './experiment-activities';
import { createTaskActivities } from './task-activities';

export function createActivities(deps: ExperimentActivityDeps) {
  return { ...createExperimentActivities(deps), ...createTaskActivities(deps.registry) };
}

export { createRegistry, type TaskRegistry } from './tasks/registry';
export { loadTaskModule } from './tasks/load-module';
