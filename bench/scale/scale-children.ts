/** Example workflows' history size from an even sample of them: describing all of a 100k run would cost more than the figure is worth. */
import type { Client } from '@temporalio/client';
import { exampleWorkflowId } from '../../workflows/experiment-contract';

export const CHILD_SAMPLE = 100;

/** Mean events and bytes per example workflow, over a sample spread across the dataset (early and late children both). */
export async function sampleChildren(client: Client, name: string, exampleIds: string[]): Promise<{ sampled: number; eventsPerChild: number; bytesPerChild: number }> {
  const k = Math.min(CHILD_SAMPLE, exampleIds.length);
  let events = 0;
  let bytes = 0;
  for (let i = 0; i < k; i++) {
    const id = exampleIds[Math.floor((i * exampleIds.length) / k)] as string;
    const d = await client.workflow.getHandle(exampleWorkflowId(name, id, 1)).describe();
    events += d.historyLength;
    bytes += Number(d.raw.workflowExecutionInfo?.historySizeBytes ?? 0);
  }
  return { sampled: k, eventsPerChild: events / k, bytesPerChild: bytes / k };
}
