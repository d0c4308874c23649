/**
 * `logExperiment` workflow: `dxp log` uploads a results table produced elsewhere to an Arize (or
 * Phoenix) experiment, page by page, through the same exactly-once upload as the experiment workflow.
 */
import { continueAsNew, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { LogActivities } from '../activities/log-activities';
import { uploadToArize } from './arize-upload';
import { uploadToPhoenix } from './phoenix-upload';
import { failWorkflowWith } from './failures';
import { FAILURE_TYPES } from '../core/failure-types';
import type { LogInput, LogResult, LogState } from '../core/log-contract';

const PAGE_ROWS = 500;
const MAX_REJECTIONS_LISTED = 20;

const tableIo = proxyActivities<LogActivities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 10 },
});

export async function logExperiment(input: LogInput): Promise<LogResult> {
  const { name, file, mapping } = input;
  const owner = workflowInfo().workflowId;
  const state: LogState = input.carried ?? (await start());

  do {
    setCurrentDetails(`**${name}**: ${state.rows} rows read, ${state.arize.uploaded} runs in Arize, ${state.rejected} rows rejected`);
    if (workflowInfo().continueAsNewSuggested) return await continueAsNew<typeof logExperiment>({ ...input, carried: state });
    const page = await tableIo.readResultsPage({ file, cursor: state.cursor, limit: PAGE_ROWS, mapping, source: state.source, ownerWorkflowId: owner }).catch((err) => failWorkflowWith(err, FAILURE_TYPES.logFailed));
    state.rows += page.rows;
    state.rejected += page.rejected.length;
    state.rejections.push(...page.rejected.slice(0, MAX_REJECTIONS_LISTED - state.rejections.length));
    if (page.runs.length > 0 && state.source.kind === 'phoenix') {
      const result = await uploadToPhoenix({
        experimentName: name,
        datasetId: state.source.datasetId,
        versionId: state.source.versionId,
        // The table's own repetitions are numbered on its rows; Phoenix takes any number per run.
        repetitions: 1,
        ownerWorkflowId: owner,
        ...(state.arize.experimentId ? { phoenixExperimentId: state.arize.experimentId } : {}),
        runs: page.runs,
      }).catch((err) => failWorkflowWith(err, FAILURE_TYPES.logFailed));
      state.arize.experimentId = result.phoenixExperimentId;
      state.arize.uploaded += result.appended + result.alreadyStored;
    } else if (page.runs.length > 0) {
      const result = await uploadToArize({
        experimentName: name,
        datasetId: state.source.datasetId,
        ownerWorkflowId: owner,
        ...(state.arize.experimentId ? { arizeExperimentId: state.arize.experimentId } : {}),
        runs: page.runs,
        resend: false,
      }).catch((err) => failWorkflowWith(err, FAILURE_TYPES.logFailed));
      state.arize.experimentId = result.arizeExperimentId;
      state.arize.uploaded += result.appended + result.alreadyStored;
    }
    state.cursor = page.nextCursor;
  } while (state.cursor !== null);
  return { name, rows: state.rows, rejected: state.rejected, rejections: state.rejections, arize: state.arize };

  async function start(): Promise<LogState> {
    const { source } = await tableIo.prepareLog({ dataset: input.dataset, file, mapping }).catch((err) => failWorkflowWith(err, FAILURE_TYPES.logFailed));
    return { source, cursor: null, arize: { datasetId: source.datasetId, uploaded: 0, notUploaded: 0 }, rows: 0, rejected: 0, rejections: [] };
  }
}
