/** Arize AX integration: the REST client, its configuration and errors. */
export { chunkRuns, DEFAULT_MAX_REQUEST_BYTES, MAX_RUNS_PER_REQUEST } from './chunk';
export {
  createArizeClient,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_MS,
  MAX_PAGE_LIMIT,
  type ArizeClientOptions,
  type ArizeHttpClient,
} from './client';
export { arizeConfigFromEnv, ArizeConfigError, DEFAULT_ARIZE_BASE_URL, type ArizeConfig } from './config';
export { ARIZE_ERROR_CODES, ArizeApiError, type ArizeApiErrorInit } from './errors';
export { looksLikeId } from './ids';
export type * from './types';
