/**
 * The upload of run records to Arize AX, as an activity of its own: it retries on its own
 * schedule (Arize's Retry-After sets the next attempt's delay), separately from the computation.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { RunRecord } from '../core/records';
import { ArizeApiError } from './arize/errors';
import type { ArizeClient } from './arize/types';
import { ExperimentNameTakenError, uploadRuns, type UploadResult } from './arize/upload';
import { FAILURE_TYPES } from '../core/failure-types';
import { apiFailure } from './shared/api-failure';
import { heartbeatEvery } from './shared/heartbeat';

export interface UploadActivityInput {
  experimentName: string;
  datasetId: string;
  ownerWorkflowId: string;
  arizeExperimentId?: string;
  runs: RunRecord[];
  /** The workflow sends a batch again (after a cancelled or failed try): check the server first. */
  resend: boolean;
}

export function createUploadActivities(deps: { arize?: () => ArizeClient }) {
  return {
    async uploadToArize(input: UploadActivityInput): Promise<UploadResult> {
      if (!deps.arize) throw ApplicationFailure.nonRetryable('uploading to Arize needs ARIZE_API_KEY in the worker environment', FAILURE_TYPES.arizeNotConfigured);
      const ctx = Context.current();
      const beat = heartbeatEvery(1_000, undefined, ctx);
      try {
        return await uploadRuns(
          deps.arize(),
          { ...input, reconcile: input.resend || ctx.info.attempt > 1 },
          { signal: ctx.cancellationSignal, onProgress: () => ctx.heartbeat() },
        );
      } catch (err) {
        throw toFailure(err);
      } finally {
        beat.stop();
      }
    },
  };
}

export type UploadActivities = ReturnType<typeof createUploadActivities>;

/** Transient Arize errors retry (after Retry-After when given); rejections and name clashes do not. */
function toFailure(err: unknown): unknown {
  if (err instanceof ExperimentNameTakenError) return ApplicationFailure.nonRetryable(err.message, FAILURE_TYPES.experimentNameTaken);
  return err instanceof ArizeApiError ? apiFailure(err, 'Arize') : err;
}
