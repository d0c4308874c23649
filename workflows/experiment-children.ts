/**
 * The experiment's children of one generation: starting an `example` workflow per queued run
 * (ABANDON, so it outlives a continue-as-new), taking in each one's report by its completion, and
 * handing over the ones still running to the next generation (they report to it by signal).
 * What a report or a rejected start changes is the experiment's (experiment-state.ts); this keeps
 * the children's bookkeeping of one generation: starts in flight, children that report here.
 */
import { condition, getExternalWorkflowHandle, isCancellation, ParentClosePolicy, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import { unrunRecord, type Example, type RunRecord } from '../core/records';
import { example } from './example';
import { reportBySignalSignal, runRecordOf } from './example-contract';
import { exampleWorkflowId, type CarriedState, type QueuedRun } from './experiment-contract';
import { markStarted } from './experiment-state';
import { describeFailure } from './failures';
import { EXAMPLE_ID, EXPERIMENT_NAME, RUN_STATUS } from './search-attributes';

export interface ChildrenOptions {
  experimentId: string;
  experimentName: string;
  workflowId: string;
  state: CarriedState;
  /** Children report by their completion (the patched way), else by signal. */
  byCompletion: boolean;
  /** A run reported by its child, once, while it is in flight. */
  accept(record: RunRecord): void;
  /** A row whose id repeats one still running (or whose start failed as a duplicate). */
  reject(run: QueuedRun, startError?: unknown): void;
  /** The experiment is finishing: its own cancellations of children are not failed runs. */
  finishing(): boolean;
}

export interface Children {
  /** Starts a queued run's child; not awaited, so a freed slot is refilled in the same workflow task. */
  start(run: QueuedRun): void;
  /** Starts not yet confirmed by the server. */
  starting(): number;
  /** Children this generation started. */
  startedThisGeneration(): number;
  /**
   * Before continue-as-new: the next generation has no handle on this one's children, so those
   * still running are asked to report by signal. A child that closed before the request reached
   * it (the signal fails) has its completion on its way into this history: wait for it.
   */
  handOver(): Promise<void>;
}

export function createChildren(opts: ChildrenOptions): Children {
  const { experimentId, state, byCompletion } = opts;
  let starting = 0;
  let started = 0;
  /** Children of this generation that report by their completion (ids). */
  const ownChildren = new Set<string>();

  /**
   * A child of this generation that closed with no run record (terminated, timed out, cancelled
   * by someone else): a failed run, so the experiment does not wait for it forever. Children
   * cancelled by the experiment's own finish are not counted.
   */
  const closedWithoutRecord = (ex: Example, repetition: number, childId: string, err: unknown): RunRecord | undefined => {
    if (isCancellation(err) && opts.finishing()) return undefined;
    return unrunRecord({ exampleId: ex.id, repetition, workflowId: childId }, `the example workflow closed without a run record: ${describeFailure(err)}`);
  };

  /** A child's outcome in this generation's history: counted unless its signal came first. */
  const acceptOwn = (childId: string, record: RunRecord | undefined): void => {
    ownChildren.delete(childId);
    if (record && childId in state.inFlight) opts.accept(record);
  };

  return {
    start(run) {
      const { example: ex, repetition } = run;
      const childId = exampleWorkflowId(experimentId, ex.id, repetition);
      // A second row with the id of one still running: its workflow id is taken, and the first run must stay tracked.
      if (!markStarted(state, run, childId)) return opts.reject(run);
      started++;
      starting++;
      startChild(example, {
        workflowId: childId,
        args: [{ experimentId, parentWorkflowId: opts.workflowId, example: ex, repetition, plan: state.plan, ...(byCompletion ? { report: 'completion' as const } : {}) }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: EXPERIMENT_NAME, value: opts.experimentName },
          { key: EXAMPLE_ID, value: ex.id },
          // A child reporting by completion has its workflow status instead.
          ...(byCompletion ? [] : [{ key: RUN_STATUS, value: 'running' }]),
        ],
        staticSummary: `${opts.experimentName}: example ${ex.id}, repetition ${repetition}`,
      })
        .then(
          (child) => {
            if (!byCompletion) return;
            ownChildren.add(childId);
            child.result().then(
              (record) => acceptOwn(childId, record),
              (err: unknown) => acceptOwn(childId, runRecordOf(err) ?? closedWithoutRecord(ex, repetition, childId, err)),
            );
          },
          (err: unknown) => {
            if (isCancellation(err)) return;
            // The id is taken by an earlier row with the same example id whose run has finished.
            delete state.inFlight[childId];
            opts.reject(run, err);
          },
        )
        .finally(() => {
          starting--;
        });
    },
    starting: () => starting,
    startedThisGeneration: () => started,
    async handOver() {
      const children = [...ownChildren].filter((id) => id in state.inFlight);
      ownChildren.clear();
      await Promise.all(
        children.map(async (childId) => {
          try {
            await getExternalWorkflowHandle(childId).signal(reportBySignalSignal);
          } catch (err) {
            if (isCancellation(err)) throw err;
            await condition(() => !(childId in state.inFlight));
          }
        }),
      );
    },
  };
}
