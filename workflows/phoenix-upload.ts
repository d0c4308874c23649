/** The Phoenix upload activity as the experiment workflow calls it. */
import { proxyActivities } from '@temporalio/workflow';
import type { PhoenixUploadActivities } from '../activities/phoenix-upload-activities';

/**
 * As for Arize: Phoenix may be down for a while, so a batch retries for up to an hour; the upload
 * heartbeats every second, so a dead worker's batch is taken over within the heartbeat timeout.
 */
export const { uploadToPhoenix } = proxyActivities<PhoenixUploadActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '2s', maximumInterval: '2m' },
});
