/**
 * Which Web UI belongs to a local dev server: `dxp server` notes its UI address per gRPC port, so
 * the links that other `dxp` commands print point at the UI that runs (`--ui-port`), not a guess.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Entry {
  uiUrl: string;
  /** The `dxp server` process: an entry whose process is gone is ignored. */
  pid: number;
}

function entryFile(port: number | string): string {
  return join(process.env.DXP_DEV_SERVER_REGISTRY ?? join(tmpdir(), 'dxp-dev-servers'), `${port}.json`);
}

/** Notes the UI of the dev server on `port`; returns a function that removes the note. */
export function recordDevServerUi(port: number, uiUrl: string): () => void {
  const file = entryFile(port);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify({ uiUrl, pid: process.pid } satisfies Entry));
  return () => rmSync(file, { force: true });
}

/** The UI noted for a dev server on this local port, if the `dxp server` that noted it still runs. */
export function recordedDevServerUi(port: string): string | undefined {
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(entryFile(port), 'utf8')) as Entry;
  } catch {
    return undefined;
  }
  try {
    process.kill(entry.pid, 0);
  } catch {
    return undefined;
  }
  return entry.uiUrl;
}
