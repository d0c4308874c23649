/**
 * The failure converter of an encrypting worker and client: a failure's message and stack go into
 * its encoded attributes, a payload the codec encrypts, and the failure itself says only
 * "Encoded failure". Loaded by path (DataConverter.failureConverterPath) because the workflow
 * sandbox bundles it: only @temporalio/common here.
 */
import { DefaultFailureConverter } from '@temporalio/common';

/** Text that a workflow bundle built with this converter contains (see workflow-bundle.ts). */
export const ENCODED_FAILURES_MARKER = 'dxp-codec:encoded-failure-attributes';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
