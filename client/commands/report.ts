/**
 * `dxp report <experiment> [--vs <other>]`: one self-contained HTML file (client/report/) of an
 * experiment from the results store (or Phoenix, by id), or of two compared. Runs link to the Temporal UI at the
 * address `dxp result` and `dxp run` print (TEMPORAL_UI_URL, or the dev server's), and to their
 * Phoenix trace when PHOENIX_BASE_URL is set (the project: DXP_TRACE_PROJECT, default dxp).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { phoenixConfigFromEnv, type PhoenixConfig } from '../../activities/phoenix/config';
import { createPhoenixClient } from '../../activities/phoenix';
import { connectionConfigFromEnv, workflowUiLink } from '../../connection/config';
import { DEFAULT_TRACE_PROJECT } from '../../connection/tracing-config';
import { compareExperiments } from '../compare/compare';
import { CliError, EXIT } from '../exit-codes';
import { renderReport } from '../report/html';
import { phoenixTraceUrl, type ReportLinks } from '../report/links';
import { readExperiments } from '../experiment-runs';

export interface ReportCommandOptions {
  vs?: string;
  out?: string;
  passThreshold?: string;
  dataDir?: string;
}

export async function reportCommand(name: string, opts: ReportCommandOptions): Promise<number> {
  const passThreshold = opts.passThreshold === undefined ? undefined : Number(opts.passThreshold);
  if (passThreshold !== undefined && (opts.passThreshold!.trim() === '' || !Number.isFinite(passThreshold))) {
    throw new CliError(`--pass-threshold: '${opts.passThreshold}' is not a number`, EXIT.badInput);
  }
  const links = await reportLinks();
  const [experiment, vs] = await readExperiments(opts.vs === undefined ? [name] : [name, opts.vs], opts.dataDir);
  const html = renderReport({
    experiment: experiment!,
    ...(vs ? { vs: { side: vs, comparison: compareExperiments(experiment!, vs, passThreshold !== undefined ? { passThreshold } : {}) } } : {}),
    links,
    generatedAt: new Date().toISOString(),
  });
  const out = path.resolve(opts.out ?? `${fileName(name)}-report.html`);
  writeFileSync(out, html);
  process.stdout.write(`${out}: report of ${name}${vs ? ` vs ${vs.name}` : ''} (${experiment!.runs.length}${vs ? ` and ${vs.runs.length}` : ''} runs)\n`);
  return EXIT.ok;
}

async function reportLinks(): Promise<ReportLinks> {
  let temporal: ReturnType<typeof connectionConfigFromEnv>;
  let phoenix: ReturnType<typeof phoenixConfigFromEnv>;
  try {
    temporal = connectionConfigFromEnv();
    phoenix = phoenixConfigFromEnv();
  } catch (err) {
    throw new CliError(`configuration: ${(err as Error).message}`, EXIT.badInput);
  }
  const projectName = process.env.DXP_TRACE_PROJECT?.trim() || DEFAULT_TRACE_PROJECT;
  const project = phoenix ? await phoenixProjectId(phoenix, projectName) : projectName;
  return {
    workflow: (workflowId) => workflowUiLink(temporal, workflowId),
    trace: (traceId) => (phoenix ? phoenixTraceUrl(phoenix.baseUrl, project, traceId) : undefined),
  };
}

/**
 * Phoenix's UI addresses a project by its id (`/projects/UHJvamVjdDoy/...`), not its name: look it
 * up once. A Phoenix that does not answer, or has no such project yet, keeps the name in the link.
 */
async function phoenixProjectId(config: PhoenixConfig, name: string): Promise<string> {
  const client = createPhoenixClient({ ...config, timeoutMs: 5_000, maxRetries: 0 });
  try {
    return (await client.listProjects()).find((p) => p.name === name)?.id ?? name;
  } catch {
    return name; // the link keeps the name
  } finally {
    await client.close();
  }
}

/** An experiment name as a file name: path separators and characters Windows refuses become `_`. */
function fileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = name.replace(/[/\\:*?"<>|\x00-\x1f]/g, '_').replace(/^\.+/, '_');
  return safe === '' ? 'experiment' : safe;
}
