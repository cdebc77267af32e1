/**
 * One job execution as the perform loop runs it: inside its own async
 * context, with the virtual clock elapsing, bounded by `maxExecutionMs`, and
 * not over until the work it started and did not await has ended.
 *
 * Leftover work is found with Node's async_hooks, filtered to the
 * execution's AsyncLocalStorage context (the same `runtimeState.scope` that
 * carries traces and glitches): every promise, timer, immediate, tick,
 * microtask and I/O request created in that context is live until it
 * resolves, fires or completes. Sockets and servers are not counted — a
 * connection pool's socket outlives every job by design, and known pools open
 * theirs outside the job (connections.ts) — but a request on one is (its
 * promise stays pending until the answer comes). An unref'd timer
 * is not counted either: by Node's own rule it is not work that keeps the
 * process alive. The hook is enabled only while the perform loop runs an
 * execution, so idle code (and instrumented code outside runs) pays nothing.
 *
 * Where leftover work began: capturing a stack for every promise would cost
 * more than the job, so each piece of work is stamped with the instrumented
 * site its execution's context ran last when it was created (probes stamp it
 * while executions are tracked, see host.ts). For `void send()` or
 * `setTimeout(retry, 10)` that is the line doing it, or the last line inside
 * the instrumented function it called; work begun in uninstrumented code is
 * named by the instrumented line that led there.
 */
import { createHook } from 'node:async_hooks';
// The module's own timer functions, not the globals: a test's fake timers (vi.useFakeTimers) must not stall the harness.
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from 'node:timers';
import { startElapsing, stopElapsing } from './clock.js';
import { openConnectionsOutsideJobs } from './connections.js';
import type { JobDriver, JobOutcome, PendingJob, RetryOverride } from './driver.js';
import { ExecutionTimeoutError, LeftoverWorkError } from './harness-errors.js';
import { newEpoch, runtimeState, siteInfo, updateOn, type RuntimeState, type ScopeContext, type TrackedExecution } from '../probe/index.js';

/** Default bound, in ms of real time, on the wait for an execution's leftover work. */
export const DEFAULT_SETTLE_TIMEOUT_MS = 5_000;
/** Default bound, in ms of real time, on one execution. */
export const DEFAULT_MAX_EXECUTION_MS = 30_000;

/** Async resource types that are work ending by itself (handles such as sockets are not). */
const TRACKED_TYPES = new Set([
  'PROMISE', 'Timeout', 'Immediate', 'TickObject', 'Microtask',
  'FSREQCALLBACK', 'FSREQPROMISE', 'GETADDRINFOREQWRAP', 'GETNAMEINFOREQWRAP', 'QUERYWRAP',
  'TCPCONNECTWRAP', 'PIPECONNECTWRAP', 'SHUTDOWNWRAP', 'WRITEWRAP', 'UDPSENDWRAP',
]);

/**
 * One live piece of work: its type, the site it was stamped with, a timer's
 * handle (to see it end or unref, or to clear it when the execution crashes)
 * and a promise (to handle its rejection when the execution crashes).
 *
 * The promise is held strongly while the execution runs (the entry goes when
 * the promise resolves or the execution closes), and weakly only once a
 * crashed execution lingers, so that a promise nobody references can be
 * collected and stop holding it up. Not weakly from the start: a `WeakRef`
 * per promise on this hot path kept its targets' memory growing run after
 * run (bench: heap after 1,000 scenarios went from 1.02× to 1.28×).
 */
interface Work {
  readonly type: string;
  readonly site: number;
  readonly timer?: TimerHandle;
  readonly promise?: Promise<unknown>;
  /** The promise of a lingering crashed execution's work, weakly. */
  readonly weakPromise?: WeakRef<Promise<unknown>>;
  /** A queued tick or microtask: Node reads its `callback` when it runs. */
  readonly callback?: Callback;
}

/** What Node's TickObject and queueMicrotask's resource hold: the callback they will call. */
interface Callback {
  callback?: (...args: unknown[]) => unknown;
}

/** What Node's Timeout and Immediate objects expose: `_destroyed` once fired (not repeating) or cleared. */
interface TimerHandle {
  hasRef(): boolean;
  readonly _destroyed?: boolean;
}

/**
 * An execution's tracked state.
 *
 * A crash (see {@link Execution.crash}) kills the execution as `kill -9`
 * kills a worker: its timers and immediates are cleared (they die with the
 * process), and every promise it made, before the crash or after, gets a
 * rejection handler, because each continuation of its code now throws the
 * crash signal at its first probe and nobody is left to see it. Its work is
 * abandoned, not leftover: no LeftoverWorkError. To keep a late continuation
 * (an answer to a query that was in flight) from running its code in a later
 * run, the crashed execution stays tracked — every probe keeps checking the
 * poison — until its last pending promise settles or is garbage collected,
 * for at most `settleTimeoutMs` of real time (so that a promise waiting on a
 * timer the crash cleared does not keep every probe on its slow path).
 */
class Execution implements TrackedExecution {
  site = -1;
  open = true;
  crashed: Error | undefined;
  /** Set when the run moved on while the crashed execution still had pending promises: released when they end. */
  lingering = false;
  readonly live = new Map<number, Work>();

  crash(signal: Error): void {
    if (this.crashed !== undefined) return;
    this.crashed = signal;
    for (const work of this.live.values()) abandon(work, signal);
  }
}

/** asyncId → the execution whose work it is, for the resolve/after hooks. */
const owners = new Map<number, Execution>();
let enabled = 0;
/** Set while a rejection handler is attached, so the handler's own promise is not tracked (nor handled in turn). */
let abandoning = false;
/** Forgets a crashed execution's promises that can never settle once nothing references them. */
const forgotten = new FinalizationRegistry<number>((asyncId) => end(asyncId));
const ignore = (): void => {};

/**
 * What a crash does to one piece of its execution's work (see {@link Execution}).
 * A queued tick or microtask cannot be cancelled, and may be a library's own
 * bookkeeping (a pool handing a connection on): it still runs, but the crash
 * signal an instrumented callback throws at its first probe is dropped there
 * instead of surfacing as an uncaught exception nobody can catch.
 */
function abandon(work: Work, signal: Error): void {
  if (work.type === 'Timeout') clearTimeout(work.timer as unknown as NodeJS.Timeout);
  else if (work.type === 'Immediate') clearImmediate(work.timer as unknown as NodeJS.Immediate);
  else if (work.callback !== undefined) dropSignalOf(work.callback, signal);
  const promise = work.promise ?? work.weakPromise?.deref();
  if (promise === undefined) return;
  abandoning = true;
  try {
    Promise.prototype.then.call(promise, undefined, ignore);
  } finally {
    abandoning = false;
  }
}

/** Makes `queued`'s callback swallow `signal` (its other errors still surface as Node would surface them). */
function dropSignalOf(queued: Callback, signal: Error): void {
  const wrap = (callback: Callback['callback']) =>
    callback &&
    function (this: unknown, ...args: unknown[]): unknown {
      try {
        return callback.apply(this, args);
      } catch (error) {
        if (error !== signal) throw error;
        return undefined;
      }
    };
  if (queued.callback !== undefined) {
    queued.callback = wrap(queued.callback);
    return;
  }
  // queueMicrotask sets the callback after its resource's init: wrap it as it is set.
  let callback: Callback['callback'];
  Object.defineProperty(queued, 'callback', { configurable: true, enumerable: true, get: () => callback, set: (value: Callback['callback']) => void (callback = wrap(value)) });
}

/**
 * No `destroy` hook: with one, Node tracks every promise's garbage
 * collection (a weak callback per promise), which would cost more than the
 * tracking itself. Work ends instead when a promise resolves, when a
 * one-shot callback (tick, microtask, I/O request) has run (`after`), and
 * when a timer or immediate reads `_destroyed` (fired or cleared; checked
 * while settling).
 */
const hook = createHook({
  init(asyncId, type, _trigger, resource) {
    if (abandoning || !TRACKED_TYPES.has(type)) return;
    const execution = runtimeState.scope.getStore()?.execution;
    if (!(execution instanceof Execution) || !(execution.open || execution.lingering)) return;
    const timer = type === 'Timeout' || type === 'Immediate' ? (resource as TimerHandle) : undefined;
    const promise = type === 'PROMISE' ? (resource as Promise<unknown>) : undefined;
    const callback = type === 'TickObject' || type === 'Microtask' ? (resource as Callback) : undefined;
    const work: Work = { type, site: execution.site, ...(timer ? { timer } : {}), ...(promise ? { promise } : {}), ...(callback ? { callback } : {}) };
    execution.live.set(asyncId, work);
    owners.set(asyncId, execution);
    if (execution.crashed !== undefined && (promise || callback)) {
      // Made after the crash, by uninstrumented code it was in: its rejection is the crash's, seen by nobody.
      // (A timer made now is left alone: clearing one inside its own init would corrupt Node's timer list.)
      abandon(work, execution.crashed);
      if (promise) lingerOn(execution, asyncId, work, promise);
    }
  },
  promiseResolve: end,
  after(asyncId) {
    const execution = owners.get(asyncId);
    if (execution === undefined) return;
    const work = execution.live.get(asyncId);
    // A promise ends when it resolves; a timer when it reads destroyed (an interval never does).
    if (work === undefined || work.type === 'PROMISE' || (work.timer !== undefined && work.timer._destroyed !== true)) return;
    end(asyncId);
  },
});

function end(asyncId: number): void {
  const execution = owners.get(asyncId);
  if (execution === undefined) return;
  owners.delete(asyncId);
  execution.live.delete(asyncId);
  if (execution.lingering && execution.live.size === 0) release(execution);
}

/** Options of {@link performExecution}. */
export interface ExecutionBounds {
  settleTimeoutMs: number;
  maxExecutionMs: number;
}

/**
 * Performs `job` through `driver` as one tracked execution: the clock
 * elapses from its start until its leftover work has ended.
 *
 * @throws ExecutionTimeoutError when the execution runs past `maxExecutionMs`.
 * @throws LeftoverWorkError when its leftover work is still pending `settleTimeoutMs` after it returned.
 */
export async function performExecution(driver: JobDriver, job: PendingJob, retry: RetryOverride, bounds: ExecutionBounds): Promise<JobOutcome> {
  const state = runtimeState;
  const execution = new Execution();
  begin(state);
  startElapsing();
  try {
    const outcome = await bounded(job, bounds.maxExecutionMs, execution, () => {
      const parent = state.scope.getStore();
      // The parent's other fields stay (a race's gate: runtime/harness/race/).
      const context: ScopeContext = { ...parent, traces: parent?.traces ?? [], glitches: parent?.glitches ?? [], execution };
      return state.scope.run(context, () => driver.perform(job, retry));
    });
    await settle(job, execution, bounds.settleTimeoutMs);
    return outcome;
  } finally {
    stopElapsing();
    if (execution.crashed === undefined || !linger(execution, bounds.settleTimeoutMs)) {
      close(execution);
      finish(state);
    }
  }
}

/**
 * Keeps a crashed execution with pending promises tracked (see
 * {@link Execution}); false when nothing of it is pending.
 */
function linger(execution: Execution, timeoutMs: number): boolean {
  dropEndedTimers(execution);
  execution.open = false;
  for (const [asyncId, work] of execution.live) {
    const promise = work.promise ?? work.weakPromise?.deref();
    if (promise !== undefined) lingerOn(execution, asyncId, work, promise);
    else {
      // What a dead process holds no more: its cleared timers, its I/O callbacks.
      owners.delete(asyncId);
      execution.live.delete(asyncId);
    }
  }
  if (execution.live.size === 0) return false;
  execution.lingering = true;
  // Made here, outside the execution's context, and unref'd: it is the harness's, and keeps nothing alive.
  setTimeout(() => execution.lingering && release(execution), timeoutMs).unref();
  return true;
}

/** Holds a crashed execution's pending `promise` weakly from now on, forgetting it once it is collected. */
function lingerOn(execution: Execution, asyncId: number, work: Work, promise: Promise<unknown>): void {
  if (work.weakPromise === undefined) forgotten.register(promise, asyncId);
  const { promise: _strong, ...rest } = work;
  execution.live.set(asyncId, { ...rest, weakPromise: new WeakRef(promise) });
}

/** A lingering crashed execution whose last promise ended: stop tracking it. */
function release(execution: Execution): void {
  execution.lingering = false;
  close(execution);
  finish(runtimeState);
}

function begin(state: RuntimeState): void {
  openConnectionsOutsideJobs();
  if (state.executing++ === 0) {
    // Sites marked before now must take the slow path again, to stamp their site.
    newEpoch(state);
    updateOn(state);
  }
  if (enabled++ === 0) hook.enable();
}

function finish(state: RuntimeState): void {
  if (--enabled === 0) hook.disable();
  if (--state.executing === 0) updateOn(state);
}

/** Stops tracking `execution` (its work still running, if it timed out, is no longer counted anywhere). */
function close(execution: Execution): void {
  execution.open = false;
  for (const asyncId of execution.live.keys()) owners.delete(asyncId);
  execution.live.clear();
}

/** Runs `perform`, rejecting with ExecutionTimeoutError past `ms` (the timer is made here, outside the execution's context). */
async function bounded(job: PendingJob, ms: number, execution: Execution, perform: () => Promise<JobOutcome>): Promise<JobOutcome> {
  let timer: NodeJS.Timeout | undefined;
  let stop: () => void = () => {};
  const timeout = new Promise<never>((resolve, reject) => {
    timer = setTimeout(() => reject(new ExecutionTimeoutError(job, ms, describeSite(execution.site))), ms);
    stop = resolve as () => void;
  });
  try {
    return await Promise.race([perform(), timeout]);
  } finally {
    clearTimeout(timer);
    stop(); // settles the losing promise, so nothing is left pending
  }
}

/**
 * Waits until `execution`'s work has ended: at once when none is live (the
 * common case costs nothing), else on every turn of the event loop (first
 * immediates, so microtask-only work is seen at once, then 1 ms timers).
 */
async function settle(job: PendingJob, execution: Execution, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let turn = 0; ; turn++) {
    dropEndedTimers(execution);
    if (execution.live.size === 0) return;
    // A crashed execution's work is abandoned, not awaited: see Execution and linger.
    if (execution.crashed !== undefined) return;
    if (performance.now() >= deadline) {
      const pending = describePending(execution);
      throw new LeftoverWorkError(job, describeSite([...execution.live.values()][0]!.site), pending, timeoutMs);
    }
    await new Promise<void>((resolve) => (turn < 100 ? setImmediate(resolve) : setTimeout(resolve, 1)));
  }
}

/** Drops timers that ended without running (cleared) or that Node itself would not wait for (unref'd). */
function dropEndedTimers(execution: Execution): void {
  for (const [asyncId, work] of execution.live) {
    if (work.timer !== undefined && (work.timer._destroyed === true || (work.type === 'Timeout' && !work.timer.hasRef()))) {
      owners.delete(asyncId);
      execution.live.delete(asyncId);
    }
  }
}

/** `["a Timeout begun at jobs/mail.ts:9", "2 promises begun at jobs/mail.ts:12"]`, oldest first. */
function describePending(execution: Execution): string[] {
  const groups = new Map<string, { type: string; site: number; count: number }>();
  for (const work of execution.live.values()) {
    const key = `${work.type} ${work.site}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { type: work.type, site: work.site, count: 1 });
  }
  return [...groups.values()].slice(0, 5).map(({ type, site, count }) => {
    const what = type === 'PROMISE' ? (count === 1 ? 'a promise' : `${count} promises`) : count === 1 ? `a ${type}` : `${count} × ${type}`;
    const where = describeSite(site);
    return `${what} begun ${where ? `at ${where}` : 'outside instrumented code'}`;
  });
}

/** `"fixtures/jobs/mail.ts:9"` for a site id, or undefined for none. */
function describeSite(id: number): string | undefined {
  if (id < 0) return undefined;
  const site = siteInfo(runtimeState, id);
  return site ? `${site.file.path}:${site.line}` : undefined;
}
