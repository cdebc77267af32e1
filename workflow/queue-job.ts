/**
 * The one adapter between a real queue's job and the workflow engine:
 *
 * ```ts
 * new Worker('transfer', (job) => executeWorkflow({ store, job: workflowJob(job), uniqueBy: job.data.id }, define));
 * boss.work('transfer', ([job]) => executeWorkflow({ store, job: workflowJob(job), uniqueBy: job.data.id }, define));
 * ```
 *
 * BullMQ's `Job` and pg-boss's `Job` both carry `id`, `name` and `data`; this
 * reads exactly those, so it needs neither library (nor anything else: the
 * queue drivers re-export it without loading the engine).
 */
import type { WorkflowJob } from './step.js';
import { brandClass, FaultlineTypeError } from '../core/errors.js';

/** The shape shared by a BullMQ `Job` and a pg-boss `Job`. */
export interface QueueJobLike {
  readonly id?: string | number | null;
  readonly name: string;
  readonly data?: unknown;
}

/** A queue job without the id or name the workflow engine keys executions by. */
export class InvalidQueueJobError extends FaultlineTypeError {}
brandClass(InvalidQueueJobError, 'InvalidQueueJobError');

/**
 * Gives `executeWorkflow` the `{ id, name, data }` of a BullMQ or pg-boss job.
 * Throws {@link InvalidQueueJobError} for a job that has no id yet (a BullMQ
 * `Job` built in memory but never added) or no name.
 */
export function workflowJob(job: QueueJobLike): WorkflowJob {
  if (job === null || typeof job !== 'object') {
    throw new InvalidQueueJobError(`workflowJob: expected a BullMQ or pg-boss job, got ${job === null ? 'null' : typeof job}`);
  }
  if (job.id === undefined || job.id === null || job.id === '') {
    throw new InvalidQueueJobError(`workflowJob: job "${String(job.name)}" has no id (was it added to a queue?)`);
  }
  if (typeof job.name !== 'string' || job.name === '') {
    throw new InvalidQueueJobError(`workflowJob: job ${String(job.id)} has no name`);
  }
  return { id: String(job.id), name: job.name, data: job.data };
}
