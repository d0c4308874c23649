/** `dxp watch`: a live progress line until the experiment closes, then its result. */
import type { Client } from '@temporalio/client';
import type { ConnectionConfig } from '../connection-config';
import { getExperimentHandle, queryProgress, type ExperimentHandle } from '../experiments';
import { formatProgressLine } from '../format';
import { printOutcome } from './result';

const POLL_MS = 1_000;

export async function watchExperiment(handle: ExperimentHandle, out: NodeJS.WriteStream = process.stdout): Promise<void> {
  const samples: { t: number; done: number }[] = [];
  const tty = out.isTTY;
  let lastLine = '';
  for (;;) {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') break;
    let line: string;
    try {
      const progress = await queryProgress(handle);
      const done = progress.counts.succeeded + progress.counts.failed;
      samples.push({ t: Date.now(), done });
      while (samples.length > 30) samples.shift(); // rate over the last ~30 s
      const first = samples[0]!;
      const rate = samples.length > 1 ? ((done - first.done) * 1000) / Math.max(1, Date.now() - first.t) : 0;
      line = formatProgressLine(progress, rate);
    } catch (err) {
      line = `waiting for a worker on task queue ${description.taskQueue} (${(err as Error).message.split('\n')[0]})`;
    }
    if (tty) out.write(`\r\x1b[2K${line}`);
    else if (line !== lastLine) out.write(`${line}\n`);
    lastLine = line;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  if (tty) out.write('\n');
}

export async function watchCommand(client: Client, config: ConnectionConfig, id: string): Promise<number> {
  const handle = getExperimentHandle(client, id);
  await watchExperiment(handle);
  return printOutcome(handle, config, false);
}
