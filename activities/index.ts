/** Every activity a dxp worker registers, built from its dependencies. */
import { createAgentActivities } from './agent-activities';
import type { ArizeClient } from './arize/types';
import { createExperimentActivities, type ExperimentActivityDeps } from './experiment-activities';
import { createLogActivities } from './log-activities';
import { createTaskActivities } from './task-activities';
import { createUploadActivities } from './upload-activities';

export function createActivities(deps: ExperimentActivityDeps & { arize?: () => ArizeClient }) {
  return {
    ...createExperimentActivities(deps),
    ...createTaskActivities(deps.registry),
    ...createAgentActivities(deps.registry),
    ...createUploadActivities(deps.arize ? { arize: deps.arize } : {}),
    ...createLogActivities({ datasets: deps.datasets }),
  };
}

export { createRegistry, type TaskRegistry } from './tasks/registry';
export { loadTaskModule } from './tasks/load-module';
