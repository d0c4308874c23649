/**
 * Replays committed histories against today's workflow code: a change that would break
 * running experiments (non-determinism) fails here. Re-record with
 * `DXP_RECORD_HISTORIES=1 npx jest test/continue-as-new test/log test/arize-pipeline test/agent test/failed-examples test/split-stores` only for an
 * intended change (with Temporal's patching API once experiments run in production).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { REPORT_BY_COMPLETION_PATCH } from '../workflows/experiment-contract';
import { installRuntime, workflowBundle } from './helpers/temporal';

const dir = join(__dirname, 'histories');
installRuntime();
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('there are recorded histories of every workflow, one of which continued as new', () => {
  expect(files).toEqual(
    expect.arrayContaining([
      'experiment-first-generation.json',
      'experiment-last-generation.json',
      'example.json',
      'example-failed.json',
      'example-failed-before-patch.json',
      'example-failed-remote-evaluator.json',
      'example-agent.json',
      'example-agent-crash.json',
      'example-agent-continued.json',
      'experiment-arize-upload-refused.json',
      'experiment-own-tally.json',
      'experiment-small-generations.json',
      'experiment-store-queue.json',
      'log-experiment.json',
      'experiment-reported-by-signal.json',
      'example-reported-by-signal.json',
      'example-failed-reported-by-signal.json',
      'experiment-handover.json',
      'example-by-completion.json',
      'example-handed-over.json',
    ]),
  );
  expect(readFileSync(join(dir, 'experiment-first-generation.json'), 'utf8')).toContain('CONTINUED_AS_NEW');
});

test('failed runs: recorded before the failed-examples-fail patch they completed, after it they fail', () => {
  // example-failed-before-patch.json was recorded by the code before the patch (commit d3f3b05):
  // its failed run completed, and its replay must take that path; example-failed.json took the new one.
  const before = readFileSync(join(dir, 'example-failed-before-patch.json'), 'utf8');
  expect(before).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  expect(before).toContain('division by zero');
  expect(before).not.toContain('core_patch');
  // example-failed-reported-by-signal.json took the patch; example-failed.json, started with a
  // `report` mode, fails without asking (no patch marker).
  const after = readFileSync(join(dir, 'example-failed-reported-by-signal.json'), 'utf8');
  expect(after).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_FAILED');
  expect(after).toContain('core_patch');
  const now = readFileSync(join(dir, 'example-failed.json'), 'utf8');
  expect(now).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_FAILED');
  expect(now).not.toContain('failed-examples-fail');
});

test('evaluators: planned before local evaluators they ran as activities, after it as local activities', () => {
  // example-failed-remote-evaluator.json was recorded by commit 391a43f, whose plans had no `local`:
  // its replay must schedule the evaluator as an activity; example-failed.json ran it locally.
  const before = readFileSync(join(dir, 'example-failed-remote-evaluator.json'), 'utf8');
  expect(before).toContain('runEvaluator');
  expect(before).not.toContain('core_local_activity');
  const after = readFileSync(join(dir, 'example-failed.json'), 'utf8');
  expect(after).not.toContain('runEvaluator');
  expect(after).toContain('core_local_activity');
});

test('reports: recorded before report-by-completion every child signalled; after it a child completes, and signals only when handed over', () => {
  // The *-reported-by-signal.json histories were recorded by commit 83a7035, before the patch.
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
  const before = read('experiment-reported-by-signal.json');
  expect(before).toContain('"runFinished"');
  expect(patchesOf(before)).not.toContain(REPORT_BY_COMPLETION_PATCH);
  for (const file of ['example-reported-by-signal.json', 'example-failed-reported-by-signal.json']) {
    expect(read(file)).toContain('EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED');
    expect(read(file)).toContain('EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES');
  }
  const handover = read('experiment-handover.json');
  expect(patchesOf(handover)).toContain(REPORT_BY_COMPLETION_PATCH);
  expect(handover).toContain('"reportBySignal"');
  expect(handover).toContain('EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED');
  for (const file of ['example-by-completion.json', 'example-failed.json']) {
    expect(read(file)).not.toContain('EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED');
    expect(read(file)).not.toContain('EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES');
  }
  const handedOver = read('example-handed-over.json');
  expect(handedOver).toContain('"reportBySignal"');
  expect(handedOver).toContain('EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED');
  expect(handedOver).not.toContain('EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES');
});

test('the workflow bundle holds no zod: every workflow sandbox would build its schemas again', async () => {
  // Measured: zod's schema building was a quarter of the workflow thread's CPU in npm run bench.
  const { code } = await workflowBundle();
  expect(code).toContain('workflows/experiment.ts');
  expect(code).not.toMatch(/node_modules\/zod\//);
});

/** Ids of the patches a history's markers record (their data is a payload). */
function patchesOf(json: string): string[] {
  const events = (JSON.parse(json) as { events: { markerRecordedEventAttributes?: { markerName: string; details: Record<string, { payloads: { data: string }[] }> } }[] }).events;
  return events
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .map((m) => (JSON.parse(Buffer.from(m!.details['patch-data']!.payloads[0]!.data, 'base64').toString('utf8')) as { id: string }).id);
}

test.each(files)('%s replays without non-determinism', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file);
});
