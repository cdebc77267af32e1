/**
 * `faultline/workflow`: the durable workflow engine.
 */
export { executeWorkflow, DEFAULT_LEASE_MS, DEFAULT_MAX_BLOCKED_MS, type ExecuteWorkflowOptions, type WorkflowResult } from './engine.js';
export { openStore, WorkflowStore, type OpenStoreOptions, type WorkflowEntry, type ExecutionSummary, type ListExecutionsOptions } from './store.js';
export { idempotencyKey } from './key.js';
export { canonicalJson, type JsonValue } from './json.js';
export { redactConnectionString } from './redact.js';
export { PGliteDialect, type PGliteLike } from './pglite-dialect.js';
export type { StoreTarget } from './dialects.js';
export type { DialectKind } from './store-dialect.js';
export type { DeleteFinishedOptions } from './housekeeping.js';
export type { WorkflowContext } from './context.js';
export type { WorkflowBuilder, StepFunction, StepOptions } from './definition.js';
export type { StepContext, StepDirective, WorkflowJob } from './step.js';
export { workflowJob, InvalidQueueJobError, type QueueJobLike } from './queue-job.js';
export { workflowProcessor, type WorkflowProcessor, type WorkflowProcessorOptions } from './processor.js';
export type { EntryAction, ExecutionStatus } from './schema.js';
export {
  WorkflowError,
  WorkflowDefinitionMismatchError,
  DuplicateStepError,
  InvalidStepError,
  EmptyWorkflowError,
  AsyncDefinitionError,
  SerializationError,
  WorkflowLockedError,
  LeaseLostError,
  CorruptedRowError,
  SchemaVersionError,
  StoreNotFoundError,
  TransactionUnavailableError,
  ConnectionHeldError,
  InvalidArgumentError,
  StoreClosedError,
  StoreConnectionError,
  isPermanentError,
} from './errors.js';
export { FaultlineError } from '../core/errors.js';
