/** The Arize upload activity as both the experiment and the log workflows call it. */
import { proxyActivities } from '@temporalio/workflow';
import type { UploadActivities } from '../activities/upload-activities';

/**
 * Arize may be down for a while: retry on Arize's own schedule (Retry-After sets the next delay),
 * up to an hour per batch. The upload heartbeats every second, so a dead worker is noticed in seconds.
 */
export const { uploadToArize } = proxyActivities<UploadActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '2s', maximumInterval: '2m' },
});
