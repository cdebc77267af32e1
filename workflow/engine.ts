/**
 * `executeWorkflow`: runs a job's steps durably. It is called inside any
 * queue's job handler and relies on that queue to retry: an error in a step is
 * recorded and re-thrown, and the retry resumes from the step that failed.
 *
 * Commit budget: a new execution is created already leased with its first
 * `started` entry (one commit, no read before it); after that each step costs one commit, because
 * the `succeeded` of a step and the `started` of the next are one fenced INSERT
 * (the newest entry is the cursor) — inside the step's own transaction when it
 * is transactional.
 */
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { canonicalJson, isStorableText } from './json.js';
import { createContext } from './context.js';
import { collectSteps, describeDefinition, type StepDefinition, type WorkflowBuilder } from './definition.js';
import {
  CorruptedRowError,
  InvalidArgumentError,
  LeaseLostError,
  WorkflowDefinitionMismatchError,
  WorkflowLockedError,
} from './errors.js';
import { holdingConnection } from './held-connection.js';
import { renewOnLoop, type Renewal } from './lease-renewal.js';
import { idempotencyKey } from './key.js';
import * as q from './queries.js';
import { createStepContext, HALT, REPEAT, type WorkflowJob } from './step.js';
import type { EntryAction } from './schema.js';
import { dialectOf } from './store-dialect.js';
import { isWorkflowStore, type WorkflowStore } from './store.js';

/** Default lease: long enough for slow steps, renewed every third of it while steps run. */
export const DEFAULT_LEASE_MS = 30_000;

/** Default bound on renewing the lease of a process whose event loop is blocked: 10 minutes. */
export const DEFAULT_MAX_BLOCKED_MS = 10 * 60_000;

/** Options of {@link executeWorkflow}. */
export interface ExecuteWorkflowOptions<DB = any> {
  store: WorkflowStore<DB>;
  job: WorkflowJob;
  /** JSON value that, with `job.name`, identifies the execution (its idempotency key). */
  uniqueBy: unknown;
  /** How long a lease lasts without renewal; a crashed holder's lease expires after it (default 30 s). */
  leaseMs?: number;
  /**
   * How long the lease is still renewed while this process's event loop is
   * blocked (a step doing synchronous work); past it the process counts as
   * hung and its lease runs out (default 10 min). Stores without a second
   * connection (PGlite, `:memory:`, `{ db }`) renew on the event loop only.
   */
  maxBlockedMs?: number;
}

/** How an execution ended this time. */
export interface WorkflowResult {
  status: 'finished' | 'halted';
  executionId: string;
  idempotencyKey: string;
}

/** Where a leased run starts. */
interface Position {
  index: number;
  seq: number;
  retrying: boolean;
}

/**
 * Runs the workflow `define` declares for `job`, durably and at most one
 * execution per key at a time.
 *
 * - Finds or creates the execution for the key of `[job.name, uniqueBy]`; a
 *   finished one returns at once, running nothing.
 * - Throws {@link WorkflowDefinitionMismatchError} (permanent) when the stored
 *   job data or step definition differ from this call's.
 * - Throws {@link WorkflowLockedError} (transient) while another live execution
 *   holds the key's lease.
 * - Runs steps from the stored cursor; a step's error is recorded and re-thrown unchanged.
 */
export async function executeWorkflow<DB = any>(
  options: ExecuteWorkflowOptions<DB>,
  define: (w: WorkflowBuilder<DB>) => unknown,
): Promise<WorkflowResult> {
  const { store, job, leaseMs, maxBlockedMs } = validate(options);
  const steps = collectSteps(job.name, define);
  const key = idempotencyKey(job.name, options.uniqueBy);
  const jobData = canonicalJson(job.data ?? null, `job data of "${job.name}"`);
  const definition = canonicalJson(describeDefinition(steps), `definition of "${job.name}"`);
  const db = store.internalDb;
  const owner = randomUUID();

  // Create first, look second: a new execution (the common case) costs one
  // statement instead of a read and a write; an existing key makes the insert a no-op.
  const executionId = randomUUID();
  const now = Date.now();
  const fresh = { id: executionId, idempotencyKey: key, jobName: job.name, jobId: job.id, jobData, definition, owner, now, leaseExpiresAt: now + leaseMs };
  const first = { executionId, seq: 1, step: steps[0]!.name, action: 'started' as const, at: now };
  const created = await q.createStartedExecution(db, fresh, first);
  let position: Position | undefined = created ? { index: 0, seq: 1, retrying: false } : undefined;
  let runningId: string = executionId;
  if (!position) {
    const existing = await q.findExecutionByKey(db, key);
    if (!existing) throw new CorruptedRowError('faultline_executions', 'idempotency_key', key, 'execution vanished while being opened');
    runningId = existing.id;
    checkJobData(existing, jobData, key);
    if (existing.status === 'finished') return { status: 'finished', executionId: runningId, idempotencyKey: key };
    checkDefinition(existing, definition, steps, key);
    const leased = await lease(db, existing.id, owner, steps, leaseMs);
    if (!leased) {
      const current = await q.findExecutionById(db, existing.id);
      if (current?.status === 'finished') return { status: 'finished', executionId: runningId, idempotencyKey: key };
      throw new WorkflowLockedError(key, current?.leaseExpiresAt ? new Date(current.leaseExpiresAt) : undefined);
    }
    position = leased;
  }
  return run({ store, db, job, key, executionId: runningId, owner, steps, leaseMs, maxBlockedMs }, position);
}

/**
 * Takes the lease and records `started` for the cursor step (the step of the
 * newest entry), atomically; undefined when someone else holds the lease.
 */
async function lease(db: q.Executor, id: string, owner: string, steps: StepDefinition[], leaseMs: number): Promise<Position | undefined> {
  return db.transaction().execute(async (trx) => {
    const now = Date.now();
    if (!(await q.acquireLease(trx, id, owner, now, now + leaseMs))) return undefined;
    // Read progress under the lease: it may have moved since the first look.
    const last = await q.lastEntry(trx, id);
    if (!last) throw new CorruptedRowError('faultline_entries', 'step', id, 'the execution has no entries, so where to resume is unknown');
    const index = steps.findIndex((s) => s.name === last.step);
    if (index < 0) throw new CorruptedRowError('faultline_entries', 'step', id, `the newest entry names step "${last.step}", which the definition does not have`);
    // Every boundary writes the next step's `started`, so a run never ends on `succeeded` unfinished.
    if (last.action === 'succeeded') throw new CorruptedRowError('faultline_entries', 'action', id, `the newest entry is "succeeded" of step "${last.step}" but the execution is not finished`);
    const retrying = last.action === 'started' || last.action === 'errored';
    const seq = last.seq + 1;
    await q.appendEntries(trx, [{ executionId: id, seq, step: last.step, action: 'started', at: now }]);
    return { index, seq, retrying };
  });
}

interface Run<DB> {
  store: WorkflowStore<DB>;
  db: q.Executor;
  job: WorkflowJob;
  key: string;
  executionId: string;
  owner: string;
  steps: StepDefinition[];
  leaseMs: number;
  maxBlockedMs: number;
}

type Boundary = { kind: 'next'; position: Position } | { kind: 'done'; status: 'finished' | 'halted' };

async function run<DB>(r: Run<DB>, start: Position): Promise<WorkflowResult> {
  const renewal = startRenewal(r);
  try {
    let position = start;
    for (;;) {
      const step = r.steps[position.index]!;
      let boundary: Boundary;
      try {
        boundary = await runStep(r, step, position);
      } catch (error) {
        if (!(error instanceof LeaseLostError) && !isCrashSignal(error)) await recordError(r, step, position, error);
        throw error;
      }
      if (boundary.kind === 'done') return { status: boundary.status, executionId: r.executionId, idempotencyKey: r.key };
      position = boundary.position;
    }
  } finally {
    await renewal.stop();
  }
}

/**
 * One pass of a step and its boundary. A transactional step runs in a
 * transaction that its boundary commits with it; on a one-connection store the
 * body is marked as holding that connection (see held-connection.ts).
 */
async function runStep<DB>(r: Run<DB>, step: StepDefinition, position: Position): Promise<Boundary> {
  if (!step.transactional) return boundaryAfter(r, r.db, position, await step.fn(stepContext(r, step, position, undefined)));
  return r.db.transaction().execute(async (trx) => {
    const startedAt = Date.now();
    const result = await holdingConnection(r.store.connections, step.name, async () => step.fn(stepContext(r, step, position, trx)));
    // Where a write transaction locks the whole database (SQLite), the renewer thread could not renew meanwhile:
    // a slow step renews in its own transaction, or its lease would run out the moment it commits.
    if (!dialectOf(trx).supportsConcurrentWrites && Date.now() - startedAt >= r.leaseMs / 3) {
      if (!(await q.renewLease(trx, r.executionId, r.owner, Date.now() + r.leaseMs))) throw new LeaseLostError(r.executionId, step.name);
    }
    return boundaryAfter(r, trx, position, result);
  });
}

function stepContext<DB>(r: Run<DB>, step: StepDefinition, position: Position, trx: Transaction<any> | undefined) {
  return createStepContext<DB>(
    {
      step: step.name,
      executionId: r.executionId,
      idempotencyKey: r.key,
      job: r.job,
      retrying: position.retrying,
      ctx: createContext((trx as q.Executor | undefined) ?? r.db, { executionId: r.executionId, owner: r.owner, step: step.name }),
    },
    trx as Transaction<DB> | undefined,
  );
}

/**
 * Records the end of a step pass and the start of the next, fenced by the
 * lease, atomically: in the step's transaction when it has one, else as one
 * statement — except a finish or halt on a dialect without data-modifying
 * CTEs (SQLite), which takes two and so a short transaction of its own (see queries.recordEnd).
 */
async function boundaryAfter<DB>(r: Run<DB>, db: q.Executor, position: Position, result: unknown): Promise<Boundary> {
  const step = r.steps[position.index]!;
  const now = Date.now();
  const entry = (seq: number, stepName: string, action: EntryAction) => ({ executionId: r.executionId, seq, step: stepName, action, at: now });
  const fenced = (recorded: boolean) => {
    if (!recorded) throw new LeaseLostError(r.executionId, step.name);
  };
  const end = async (kind: q.EndKind, last: q.EntryRow) => fenced(await q.recordEnd(db, r.executionId, r.owner, now, kind, last));
  if (result === HALT) {
    await end('halt', entry(position.seq + 1, step.name, 'halted'));
    return { kind: 'done', status: 'halted' };
  }
  // A repeat pass is recorded as succeeded (its effects are committed) and the next pass as a new start.
  const nextIndex = result === REPEAT ? position.index : position.index + 1;
  const next = r.steps[nextIndex];
  if (!next) {
    await end('finish', entry(position.seq + 1, step.name, 'succeeded'));
    return { kind: 'done', status: 'finished' };
  }
  fenced(await q.recordStepBoundary(db, r.executionId, r.owner, entry(position.seq + 1, step.name, 'succeeded'), entry(position.seq + 2, next.name, 'started')));
  return { kind: 'next', position: { index: nextIndex, seq: position.seq + 2, retrying: false } };
}

/**
 * True for the signal of a simulated worker crash (faultline's `CrashSignal`,
 * known by its `crashed` mark: this room does not import the runtime). A dead
 * worker records nothing and releases nothing: its lease runs out by expiry.
 */
function isCrashSignal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { crashed?: unknown }).crashed === true;
}

/** Records `errored` and releases the lease so the queue's retry can resume at once. */
async function recordError<DB>(r: Run<DB>, step: StepDefinition, position: Position, error: unknown): Promise<void> {
  try {
    await r.db.transaction().execute(async (trx) => {
      const now = Date.now();
      if (!(await q.releaseLease(trx, r.executionId, r.owner, now))) return;
      await q.appendEntries(trx, [
        {
          executionId: r.executionId,
          seq: position.seq + 1,
          step: step.name,
          action: 'errored',
          at: now,
          errorClass: errorClass(error),
          errorMessage: error instanceof Error ? error.message : String(error),
        },
      ]);
    });
  } catch {
    // The step's own error matters more than failing to record it: the retry
    // still sees the `started` entry (so `retrying` is true) and the lease expires.
  }
}

function errorClass(error: unknown): string {
  if (error instanceof Error) return error.constructor?.name || error.name;
  return typeof error;
}

/** Renews the lease while steps run: off the main thread when the store allows it (see lease-renewal.ts). */
function startRenewal<DB>(r: Run<DB>): Renewal {
  const lease = { id: r.executionId, owner: r.owner, leaseMs: r.leaseMs, maxBlockedMs: r.maxBlockedMs };
  return r.store.renewer ? r.store.renewer.hold(lease) : renewOnLoop(r.db, lease);
}

function checkJobData(row: q.ExecutionRow, jobData: string, key: string): void {
  if (row.jobData === jobData) return;
  try {
    JSON.parse(row.jobData);
  } catch (error) {
    throw new CorruptedRowError('faultline_executions', 'job_data', row.id, `invalid JSON (${(error as Error).message})`);
  }
  throw new WorkflowDefinitionMismatchError(
    `job "${row.jobName}" with idempotency key ${key} was first run with data ${row.jobData}, now with ${jobData}: ` +
      `the same key for different data would skip real work — make uniqueBy identify the work exactly`,
    key,
    'job-data',
  );
}

function checkDefinition(row: q.ExecutionRow, definition: string, steps: StepDefinition[], key: string): void {
  if (row.definition === definition) return;
  let stored: unknown;
  try {
    stored = JSON.parse(row.definition);
  } catch (error) {
    throw new CorruptedRowError('faultline_executions', 'definition', row.id, `invalid JSON (${(error as Error).message})`);
  }
  const describe = (list: unknown) =>
    Array.isArray(list) ? list.map((s: { name?: unknown; transactional?: unknown }) => `${String(s?.name)}${s?.transactional ? ' (transactional)' : ''}`).join(', ') : String(list);
  throw new WorkflowDefinitionMismatchError(
    `workflow "${row.jobName}" (key ${key}) was stored with steps [${describe(stored)}] but is now defined as [${describe(describeDefinition(steps))}]: ` +
      `a changed workflow needs a new job name while the old executions drain`,
    key,
    'definition',
  );
}

function validate<DB>(options: ExecuteWorkflowOptions<DB>): { store: WorkflowStore<DB>; job: WorkflowJob; leaseMs: number; maxBlockedMs: number } {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('executeWorkflow needs { store, job, uniqueBy }');
  const { store, job, leaseMs = DEFAULT_LEASE_MS, maxBlockedMs = DEFAULT_MAX_BLOCKED_MS } = options;
  if (!isWorkflowStore(store)) throw new InvalidArgumentError('executeWorkflow: store must come from openStore()');
  if (typeof job !== 'object' || job === null) throw new InvalidArgumentError('executeWorkflow: job must be { id, name, data? }');
  if (typeof job.name !== 'string' || job.name === '') throw new InvalidArgumentError(`executeWorkflow: job.name must be a non-empty string, got ${JSON.stringify(job.name)}`);
  if (typeof job.id !== 'string' && typeof job.id !== 'number') throw new InvalidArgumentError(`executeWorkflow: job.id of "${job.name}" must be a string`);
  if (!isStorableText(String(job.id))) throw new InvalidArgumentError(`executeWorkflow: job.id ${JSON.stringify(job.id)} of "${job.name}" has a lone UTF-16 surrogate or NUL`);
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new InvalidArgumentError(`executeWorkflow: leaseMs must be a positive number of ms, got ${String(leaseMs)}`);
  if (!Number.isFinite(maxBlockedMs) || maxBlockedMs < 0) throw new InvalidArgumentError(`executeWorkflow: maxBlockedMs must be a non-negative number of ms, got ${String(maxBlockedMs)}`);
  return { store: store as WorkflowStore<DB>, job: { ...job, id: String(job.id) }, leaseMs, maxBlockedMs };
}
