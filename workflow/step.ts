/**
 * What a step body receives as `s`, and the directives it may return.
 */
import type { Transaction } from 'kysely';
import type { WorkflowContext } from './context.js';
import { TransactionUnavailableError } from './errors.js';

/** Returned by `s.repeat()` / `s.halt()`; only meaningful as a step's return value. */
export interface StepDirective {
  readonly directive: 'repeat' | 'halt';
}

export const REPEAT: StepDirective = Object.freeze({ directive: 'repeat' });
export const HALT: StepDirective = Object.freeze({ directive: 'halt' });

/**
 * The job a workflow runs for, as passed to `executeWorkflow` (and as
 * `workflowJob` makes it from a BullMQ or pg-boss job).
 */
export interface WorkflowJob {
  readonly id: string;
  readonly name: string;
  readonly data?: unknown;
}

/** The `s` argument of a step. */
export interface StepContext<DB = any> {
  /** This step's name. */
  readonly step: string;
  readonly executionId: string;
  readonly idempotencyKey: string;
  readonly job: WorkflowJob;
  /** True when an earlier attempt started this step and did not finish it. */
  readonly retrying: boolean;
  /** The durable context bag of the execution. */
  readonly ctx: WorkflowContext;
  /** The step's transaction (transactional steps only; otherwise reading it throws TransactionUnavailableError). */
  readonly tx: Transaction<DB>;
  /** `return s.repeat()`: this pass succeeded; run the same step again. */
  repeat(): StepDirective;
  /** `return s.halt()`: stop with status `halted`; a later execution with the same key runs this step again. */
  halt(): StepDirective;
}

/** Builds `s` for one pass of one step. */
export function createStepContext<DB>(fields: Omit<StepContext<DB>, 'tx' | 'repeat' | 'halt'>, tx: Transaction<DB> | undefined): StepContext<DB> {
  return {
    ...fields,
    get tx(): Transaction<DB> {
      if (!tx) throw new TransactionUnavailableError(fields.step);
      return tx;
    },
    repeat: () => REPEAT,
    halt: () => HALT,
  };
}
