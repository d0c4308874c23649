/** Phoenix integration: the REST client, its configuration and errors, the exactly-once upload. */
export { createPhoenixClient, isPhoenixId, type PhoenixClientOptions, type PhoenixHttpClient } from './client';
export { phoenixConfigFromEnv, PhoenixConfigError, type PhoenixConfig } from './config';
export { PhoenixApiError } from './errors';
export { findOurs, OWNER_KEY, uploadPhoenixRuns, type PhoenixUploadInput, type PhoenixUploadResult } from './upload';
export type * from './types';
