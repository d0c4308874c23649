/**
 * A prebuilt workflow bundle (DXP_WORKFLOW_BUNDLE, or one passed to createWorker) carries the
 * failure converter it was built with. One built without the encrypting converter would store
 * the messages of workflow failures (a failed example's error) in plain text beside encrypted
 * payloads: an encrypting worker refuses it.
 */
import { readFile } from 'node:fs/promises';
import { ENCODED_FAILURES_MARKER } from './failure-converter';

export type WorkflowBundle = { code: string } | { codePath: string };

export async function requireEncodedFailures(bundle: WorkflowBundle): Promise<void> {
  const code = 'code' in bundle ? bundle.code : await readFile(bundle.codePath, 'utf8');
  if (code.includes(ENCODED_FAILURES_MARKER)) return;
  const which = 'codePath' in bundle ? `the workflow bundle ${bundle.codePath}` : 'the workflow bundle';
  throw new Error(
    `${which} was built without the encrypting failure converter, so failure messages would be stored in plain text: ` +
      'leave DXP_WORKFLOW_BUNDLE unset (the worker bundles with it), or build the bundle with ' +
      "bundleWorkflowCode({ workflowsPath, failureConverterPath }) (FAILURE_CONVERTER_PATH of connection/codec/data-converter)",
  );
}
