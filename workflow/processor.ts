/**
 * `workflowProcessor`: the production processor of a queue whose jobs each
 * run one workflow. BullMQ's `new Worker(name, processor)` calls it with one
 * job, pg-boss 10's `boss.work(name, processor)` with an array of them; it
 * runs `executeWorkflow` for each, keyed by the job's name and `uniqueBy(job)`.
 */
import { executeWorkflow, type WorkflowResult } from './engine.js';
import type { WorkflowBuilder } from './definition.js';
import { InvalidArgumentError } from './errors.js';
import { workflowJob, type QueueJobLike } from './queue-job.js';
import type { WorkflowJob } from './step.js';
import { isWorkflowStore, type WorkflowStore } from './store.js';

/** Options of {@link workflowProcessor}. */
export interface WorkflowProcessorOptions<DB = any> {
  store: WorkflowStore<DB>;
  /** The JSON value that, with the job's name, identifies its execution: e.g. `(job) => job.data.transferId`. */
  uniqueBy: (job: WorkflowJob) => unknown;
  /** As `executeWorkflow`'s `leaseMs`. */
  leaseMs?: number;
}

/** A queue processor: one job (BullMQ) or a batch of them (pg-boss), one workflow each. */
export interface WorkflowProcessor {
  (job: QueueJobLike): Promise<WorkflowResult>;
  (jobs: readonly QueueJobLike[]): Promise<WorkflowResult[]>;
}

/**
 * Makes the processor of a queue whose jobs run the workflow `define`
 * declares:
 *
 * ```ts
 * const processor = workflowProcessor({ store, uniqueBy: (job) => job.data.transferId }, transfer);
 * new Worker('transfer', processor, { connection });   // BullMQ
 * await boss.work('transfer', processor);               // pg-boss
 * ```
 *
 * A batch runs one job after the other; the first error rejects it (the
 * queue then retries or fails the batch as it would any processor's error).
 *
 * @throws InvalidArgumentError when `store` is not an open store's, or `uniqueBy` or `define` is not a function.
 * The processor rejects with `InvalidQueueJobError` for a job without id or
 * name, and with whatever `executeWorkflow` throws.
 */
export function workflowProcessor<DB = any>(options: WorkflowProcessorOptions<DB>, define: (w: WorkflowBuilder<DB>) => unknown): WorkflowProcessor {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('workflowProcessor needs { store, uniqueBy }');
  const { store, uniqueBy, leaseMs } = options;
  if (!isWorkflowStore(store)) throw new InvalidArgumentError('workflowProcessor: store must come from openStore()');
  if (typeof uniqueBy !== 'function') throw new InvalidArgumentError('workflowProcessor: uniqueBy must be a function of the job, e.g. (job) => job.data.id');
  if (typeof define !== 'function') throw new InvalidArgumentError('workflowProcessor: the second argument must be the workflow definition, (w) => { w.step(…) }');
  const run = (queueJob: QueueJobLike): Promise<WorkflowResult> => {
    const job = workflowJob(queueJob);
    return executeWorkflow({ store, job, uniqueBy: uniqueBy(job), leaseMs }, define);
  };
  async function processor(jobs: QueueJobLike | readonly QueueJobLike[]): Promise<WorkflowResult | WorkflowResult[]> {
    if (!Array.isArray(jobs)) return run(jobs as QueueJobLike);
    const results: WorkflowResult[] = [];
    for (const job of jobs) results.push(await run(job));
    return results;
  }
  return processor as WorkflowProcessor;
}
