/**
 * The upload of run records to a Phoenix experiment, as an activity of its own: it retries on its
 * own schedule (Phoenix's Retry-After sets the next attempt's delay), apart from the computation,
 * and heartbeats so a dead worker's upload is taken over within seconds.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPES } from '../core/failure-types';
import { PhoenixApiError } from './phoenix/errors';
import type { PhoenixClient } from './phoenix/types';
import { uploadPhoenixRuns, type PhoenixUploadInput, type PhoenixUploadResult } from './phoenix/upload';
import { apiFailure } from './shared/api-failure';
import { heartbeatEvery } from './shared/heartbeat';

export type PhoenixUploadActivityInput = PhoenixUploadInput;

export function createPhoenixUploadActivities(deps: { phoenix?: () => PhoenixClient }) {
  return {
    async uploadToPhoenix(input: PhoenixUploadActivityInput): Promise<PhoenixUploadResult> {
      if (!deps.phoenix) throw ApplicationFailure.nonRetryable('sending runs to Phoenix needs PHOENIX_BASE_URL in the worker environment', FAILURE_TYPES.phoenixNotConfigured);
      const ctx = Context.current();
      const beat = heartbeatEvery(1_000, undefined, ctx);
      try {
        return await uploadPhoenixRuns(deps.phoenix(), input, { signal: ctx.cancellationSignal, onProgress: () => ctx.heartbeat() });
      } catch (err) {
        throw toFailure(err);
      } finally {
        beat.stop();
      }
    },
  };
}

export type PhoenixUploadActivities = ReturnType<typeof createPhoenixUploadActivities>;

/** Transient Phoenix errors retry (after Retry-After when given); rejections do not. */
function toFailure(err: unknown): unknown {
  return err instanceof PhoenixApiError ? apiFailure(err, 'Phoenix') : err;
}
