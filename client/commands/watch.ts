/** `dxp watch`: a live progress line until the experiment closes, then its final state and result. */
import type { Client } from '@temporalio/client';
import type { ConnectionConfig } from '../../connection/config';
import { CliError, EXIT } from '../exit-codes';
import { readExperimentState, type ExperimentState } from '../experiment-state';
import { getExperimentHandle, type ExperimentHandle } from '../experiments';
import { formatStateLine } from '../format';
import { printOutcome } from './result';

const POLL_MS = 1_000;
/** Each poll's calls get this long before the server counts as unreachable for that poll. */
const CALL_DEADLINE_MS = 5_000;
/** A server down for longer than this ends the watch (the experiment itself goes on). */
const DEFAULT_RECONNECT_MS = 120_000;

export interface WatchOptions {
  out?: NodeJS.WriteStream;
  /** How long to keep trying while the server does not answer (env DXP_WATCH_RECONNECT_MS). */
  reconnectMs?: number;
}

export async function watchExperiment(client: Client, handle: ExperimentHandle, opts: WatchOptions = {}): Promise<ExperimentState> {
  const out = opts.out ?? process.stdout;
  const reconnectMs = opts.reconnectMs ?? (Number(process.env.DXP_WATCH_RECONNECT_MS) || DEFAULT_RECONNECT_MS);
  const tty = out.isTTY;
  let lastLine = '';
  let downSince: number | undefined;
  const show = (line: string) => {
    if (tty) out.write(`\r\x1b[2K${line}`);
    else if (line !== lastLine) out.write(`${line}\n`);
    lastLine = line;
  };
  for (;;) {
    let state: ExperimentState;
    try {
      state = await client.connection.withDeadline(Date.now() + CALL_DEADLINE_MS, () => readExperimentState(client, handle));
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      downSince ??= Date.now();
      const waited = Date.now() - downSince;
      if (waited > reconnectMs) {
        if (tty) out.write('\n');
        throw new CliError(`Temporal did not answer for ${Math.round(waited / 1000)} s; stopped watching (the experiment goes on: \`dxp watch ${experimentName(handle)}\` again)`, EXIT.unreachable);
      }
      show(`Temporal unreachable, reconnecting (${Math.round(waited / 1000)} s of at most ${Math.round(reconnectMs / 1000)} s)...`);
      await sleep(POLL_MS);
      continue;
    }
    downSince = undefined;
    // The last frame is drawn from the closed experiment's own result, never a stale poll.
    show(state.status === 'RUNNING' && state.source !== 'progress' && state.note ? `${formatStateLine(state)} | ${state.note}` : formatStateLine(state));
    if (state.status !== 'RUNNING') {
      if (tty) out.write('\n');
      return state;
    }
    await sleep(POLL_MS);
  }
}

export async function watchCommand(client: Client, config: ConnectionConfig, id: string): Promise<number> {
  const handle = getExperimentHandle(client, id);
  await watchExperiment(client, handle);
  return printOutcome(handle, config, false);
}

/** The server is down or restarting: worth another try (gRPC UNAVAILABLE, DEADLINE_EXCEEDED, a reset connection). */
function isUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown }; message?: string };
  const code = typeof e.code === 'number' ? e.code : e.cause?.code;
  return code === 14 || code === 4 || /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|ECONNRESET/i.test(e.message ?? '');
}

function experimentName(handle: ExperimentHandle): string {
  return handle.workflowId.replace(/^experiment\//, '');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
