/** `dxp cancel`: asks the experiment to stop; it cancels running examples, keeps finished runs and writes its summary. */
import type { Client } from '@temporalio/client';
import { EXIT } from '../cli-context';
import { getExperimentHandle } from '../experiments';

export async function cancelCommand(client: Client, id: string): Promise<number> {
  const handle = getExperimentHandle(client, id);
  await handle.cancel();
  process.stdout.write(`Cancellation requested for ${handle.workflowId}; finished runs are kept.\n`);
  return EXIT.ok;
}
