/**
 * Every error the workflow engine throws on purpose. Each is an exported class
 * users can `instanceof`, and each message names the thing that failed.
 *
 * Queue drivers decide retry vs. dead-letter with {@link isPermanentError}:
 * a permanent error will fail the same way however often it is retried.
 */
import { brandClass, FaultlineError } from '../core/errors.js';

/** Base class of every error thrown by `faultline/workflow`. */
export class WorkflowError extends FaultlineError {}
brandClass(WorkflowError, 'WorkflowError');

/** A stored execution no longer matches this job: its step list/options or its job data differ. Permanent. */
export class WorkflowDefinitionMismatchError extends WorkflowError {
  /** Retrying cannot help: the stored execution and the job disagree for good. */
  readonly permanent = true;
  constructor(
    message: string,
    /** The idempotency key of the stored execution. */
    readonly idempotencyKey: string,
    /** What differs: the step definition or the job data. */
    readonly differs: 'definition' | 'job-data',
  ) {
    super(message);
  }
}
brandClass(WorkflowDefinitionMismatchError, 'WorkflowDefinitionMismatchError');

/**
 * `store.db` used inside a transactional step of a SQLite or PGlite store: the
 * step's transaction holds the store's one connection, so the query would
 * wait for it forever. Use `s.tx` there instead.
 */
export class ConnectionHeldError extends WorkflowError {
  /** A programming error: every retry would block the same way. */
  readonly permanent = true;
  constructor(readonly step: string) {
    super(
      `store.db was used inside transactional step "${step}": the step's transaction holds this store's only connection ` +
        `(SQLite and PGlite stores have one), so the query would wait forever — use s.tx inside a transactional step`,
    );
  }
}
brandClass(ConnectionHeldError, 'ConnectionHeldError');

/** Two steps of one workflow share a name. */
export class DuplicateStepError extends WorkflowError {
  constructor(readonly step: string) {
    super(`workflow step "${step}" is defined twice: step names must be unique within a workflow`);
  }
}
brandClass(DuplicateStepError, 'DuplicateStepError');

/** A step declared with a bad name, body or options. */
export class InvalidStepError extends WorkflowError {}
brandClass(InvalidStepError, 'InvalidStepError');

/** `define` declared no step at all. */
export class EmptyWorkflowError extends WorkflowError {
  constructor(jobName: string) {
    super(`workflow for job "${jobName}" declares no steps: call w.step(name, fn) at least once`);
  }
}
brandClass(EmptyWorkflowError, 'EmptyWorkflowError');

/** `define` returned a promise: steps must be declared synchronously. */
export class AsyncDefinitionError extends WorkflowError {
  constructor(jobName: string) {
    super(
      `workflow definition for job "${jobName}" returned a promise: declare steps synchronously ` +
        `(do async work inside steps, not in the define callback)`,
    );
  }
}
brandClass(AsyncDefinitionError, 'AsyncDefinitionError');

/** A value that must be JSON (a context value, `uniqueBy`, job data) is not, or not exactly. */
export class SerializationError extends WorkflowError {
  constructor(
    message: string,
    /** Which value was refused, e.g. `ctx "order"` or `uniqueBy of job "charge"`. */
    readonly what?: string,
    /** Where inside it, as a JSONPath like `$.items[1]` (`$` for the value itself). */
    readonly path?: string,
  ) {
    super(message);
  }
}
brandClass(SerializationError, 'SerializationError');

/** Another live execution holds the lease on this idempotency key. Transient: retry later. */
export class WorkflowLockedError extends WorkflowError {
  /** Retrying later will succeed once the holder finishes or its lease expires. */
  readonly retryable = true;
  constructor(
    readonly idempotencyKey: string,
    /** When the current holder's lease expires, if known. */
    readonly leaseExpiresAt: Date | undefined,
  ) {
    super(
      `workflow execution with key ${idempotencyKey} is locked by another live execution` +
        (leaseExpiresAt ? ` (lease expires at ${leaseExpiresAt.toISOString()})` : ''),
    );
  }
}
brandClass(WorkflowLockedError, 'WorkflowLockedError');

/**
 * This execution's lease expired and another execution took it over while a
 * step ran; the step's bookkeeping (and a transactional step's writes) were
 * rolled back. Transient: a retry finds the execution's true state.
 */
export class LeaseLostError extends WorkflowError {
  readonly retryable = true;
  constructor(readonly executionId: string, readonly step: string) {
    super(`lost the lease on workflow execution ${executionId} while running step "${step}": another execution took it over`);
  }
}
brandClass(LeaseLostError, 'LeaseLostError');

/** A row in a faultline table holds something the engine cannot read. */
export class CorruptedRowError extends WorkflowError {
  constructor(
    readonly table: string,
    readonly column: string,
    readonly executionId: string,
    detail: string,
  ) {
    super(`corrupted row in ${table}.${column} for execution ${executionId}: ${detail}`);
  }
}
brandClass(CorruptedRowError, 'CorruptedRowError');

/**
 * The database holds a faultline schema version this code cannot use: a newer
 * one (written by a newer faultline), or, for a read-only open (which never
 * migrates), an older one.
 */
export class SchemaVersionError extends WorkflowError {
  constructor(
    readonly found: number,
    readonly supported: number,
    /** The store, as messages name it (a file path or a URL without its password), when known. */
    readonly store?: string,
  ) {
    const which = store === undefined ? 'the faultline store' : `the faultline store ${store}`;
    super(
      found > supported
        ? `${which} has schema version ${found}, but this faultline understands up to version ${supported}: ` +
            `upgrade faultline (refusing to open rather than corrupt newer data)`
        : `${which} has schema version ${found}, older than version ${supported} that this faultline reads: ` +
            `a read-only open never migrates; open it with openStore (as a worker does) to upgrade it in place`,
    );
  }
}
brandClass(SchemaVersionError, 'SchemaVersionError');

/** A read-only open found no faultline store there: no such SQLite file, or a database without faultline's tables. */
export class StoreNotFoundError extends WorkflowError {
  constructor(
    /** The store, as messages name it (a file path or a URL without its password). */
    readonly store: string,
    detail: string,
  ) {
    super(`no faultline store in ${store}: ${detail}`);
  }
}
brandClass(StoreNotFoundError, 'StoreNotFoundError');

/** `s.tx` was used in a step not declared `{ transactional: true }`. */
export class TransactionUnavailableError extends WorkflowError {
  constructor(readonly step: string) {
    super(`step "${step}" is not transactional: declare it with { transactional: true } to use s.tx`);
  }
}
brandClass(TransactionUnavailableError, 'TransactionUnavailableError');

/** A workflow store (or its `store.db`) was used after `store.close()`. */
export class StoreClosedError extends WorkflowError {
  constructor() {
    super('the workflow store is closed (store.close() was called): open another with openStore() to use it again');
  }
}
brandClass(StoreClosedError, 'StoreClosedError');

/**
 * `openStore` could not reach its database server: the connection was refused
 * or failed, or the server did not answer within `connectTimeoutMs`.
 */
export class StoreConnectionError extends WorkflowError {
  constructor(
    /** The store URL with every credential masked. */
    readonly url: string,
    /** The bound the connection had, in ms. */
    readonly timeoutMs: number,
    options: { cause: unknown; timedOut: boolean },
  ) {
    const why = options.timedOut ? `the server did not answer within ${timeoutMs} ms (connectTimeoutMs)` : describeCause(options.cause);
    super(`cannot open store ${url}: ${why}`, { cause: options.cause });
  }
}
brandClass(StoreConnectionError, 'StoreConnectionError');

/** A connection error's message; Node reports a refused localhost (IPv4 and IPv6) as an AggregateError without one. */
function describeCause(cause: unknown): string {
  if (cause instanceof AggregateError && cause.errors.length > 0 && !cause.message) return describeCause(cause.errors[0]);
  if (cause instanceof Error) return cause.message || (cause as { code?: string }).code || cause.name;
  return String(cause);
}

/** Bad arguments to `openStore`, `executeWorkflow`, `s.ctx` or housekeeping. */
export class InvalidArgumentError extends WorkflowError {}
brandClass(InvalidArgumentError, 'InvalidArgumentError');

export { isPermanentError } from '../core/errors.js';
