/** What dxp puts on spans and beside runs, without a server: bounded payloads, run ids, the Arize trace columns. */
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { toArizeRun } from '../activities/arize/runs';
import { chatSpanRequest, MAX_SPAN_MESSAGES } from '../activities/model/chat-span';
import type { RunRecord } from '../core/records';
import { experimentOfExampleWorkflow } from '../core/run-trace';
import { bounded, MAX_TRACE_TEXT, traceText } from '../core/trace-text';
import { exampleWorkflowId } from '../workflows/experiment-contract';
import { OTEL_TRACE_HEADER } from '../workflows/trace-boundary';

describe('bounded payloads', () => {
  test('a short text is kept whole; a long one is cut to the bound, ending in a marker with the counts', () => {
    expect(bounded('hello', 10)).toBe('hello');
    for (const [length, max] of [[1_001, 1_000], [100_000, MAX_TRACE_TEXT], [2_000_000, 1_000], [150, 100]] as const) {
      const text = 'y'.repeat(length);
      const cut = bounded(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      const marker = /…\[dxp: cut (\d+) of (\d+) characters\]$/.exec(cut);
      expect(marker).not.toBeNull();
      expect(Number(marker![2])).toBe(length);
      // What is kept plus what the marker says was cut is the whole text.
      expect(cut.length - marker![0].length + Number(marker![1])).toBe(length);
    }
    // A bound too small for the marker still holds.
    expect(bounded('z'.repeat(50), 8)).toBe('z'.repeat(8));
  });

  test('text goes as it is, anything else as JSON, and a value JSON cannot hold does not throw', () => {
    expect(traceText('plain')).toEqual({ text: 'plain', mimeType: 'text/plain' });
    expect(traceText({ a: [1, 2] })).toEqual({ text: '{"a":[1,2]}', mimeType: 'application/json' });
    expect(traceText(undefined).text).toBe('null');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(traceText(cyclic).text).toBe('[object Object]');
  });
});

test("an activity finds its experiment in the example workflow's id, whatever the names hold", () => {
  for (const [experiment, exampleId, repetition] of [['evals', 'row-1', 1], ['a/example/b', 'x/example/y/rep/2', 3], ['nightly', 'rep', 12]] as const) {
    expect(experimentOfExampleWorkflow(exampleWorkflowId(experiment, exampleId, repetition), exampleId)).toBe(experiment);
  }
  expect(experimentOfExampleWorkflow('log/evals', 'row-1')).toBeUndefined();
  expect(experimentOfExampleWorkflow(exampleWorkflowId('evals', 'row-1', 1), 'row-2')).toBeUndefined();
});

test("the run-trace boundary strips the SDK's own trace header", () => {
  expect(OTEL_TRACE_HEADER).toBe(TRACE_HEADER);
});

test('a long conversation: the LLM span keeps its last messages and says how many it left out', () => {
  const messages = Array.from({ length: MAX_SPAN_MESSAGES + 8 }, (_, i) => ({ role: 'user' as const, content: `m${i}` }));
  const attributes = chatSpanRequest({ model: 'm', messages });
  expect(attributes['dxp.llm.input_messages_skipped']).toBe(8);
  expect(attributes['llm.input_messages.0.message.content']).toBe('m8');
  expect(attributes[`llm.input_messages.${MAX_SPAN_MESSAGES - 1}.message.content`]).toBe(`m${MAX_SPAN_MESSAGES + 7}`);
  expect(attributes[`llm.input_messages.${MAX_SPAN_MESSAGES}.message.content`]).toBeUndefined();
});

describe('the Arize trace columns', () => {
  const run: RunRecord = {
    exampleId: 'e1',
    repetition: 1,
    output: 'ok',
    evaluations: { correctness: { score: 1 }, judge: { error: 'judge down' } },
    steps: [],
    startedAt: '2026-12-03T00:00:00.000Z',
    durationMs: 5,
    workflowId: 'experiment/x/example/e1/rep/1',
  };

  test("a traced run links its result and each evaluator to the run's trace, as Arize's SDK names them", () => {
    const trace = { id: 'a'.repeat(32), timestamp: 1_764_720_000_000 };
    expect(toArizeRun({ ...run, trace }, 'experiment/x')).toMatchObject({
      'result.trace.id': trace.id,
      'result.trace.timestamp': trace.timestamp,
      'eval.correctness.trace.id': trace.id,
      'eval.correctness.trace.timestamp': trace.timestamp,
      'eval.judge.trace.id': trace.id,
    });
  });

  test('an untraced run has no trace columns', () => {
    expect(Object.keys(toArizeRun(run, 'experiment/x')).filter((k) => k.includes('trace'))).toEqual([]);
  });
});
