/**
 * Replays committed histories against today's workflow code: a change that would break
 * running experiments (non-determinism) fails here. Re-record with
 * `DXP_RECORD_HISTORIES=1 npx jest test/continue-as-new test/log test/arize-pipeline test/agent` only for an
 * intended change (with Temporal's patching API once experiments run in production).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
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
      'example-agent.json',
      'example-agent-crash.json',
      'example-agent-continued.json',
      'experiment-arize-upload-refused.json',
      'log-experiment.json',
    ]),
  );
  expect(readFileSync(join(dir, 'experiment-first-generation.json'), 'utf8')).toContain('CONTINUED_AS_NEW');
});

test.each(files)('%s replays without non-determinism', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file);
});
