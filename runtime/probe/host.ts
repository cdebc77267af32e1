/**
 * The probe host: the object instrumented code calls through
 * `globalThis.__faultline`. Importing this module installs it — or adopts, in
 * place, the stub that instrumented code loaded earlier created (those
 * modules hold a reference to that very object, and its ids must not move).
 *
 * Probe cost, by mode:
 * - idle: instrumented code checks `on` (0) and calls nothing;
 * - traced or armed: one per-site epoch check (`marks[id] !== epoch`); only a
 *   site with work left this epoch (not yet recorded by the trace, or covered
 *   by an armed glitch) looks up the async context;
 * - while the perform loop runs a job execution: every probe looks up the
 *   async context and stamps its site on the execution (leftover work is
 *   named by it). A call probe's arguments
 *   are copied into an array only when an armed glitch's matchers test them.
 */
import { GLOBAL_NAME, type ProbeHost, type SiteTable } from '../../core/protocol.js';
import { CrashSignal } from './errors.js';
import { registerFile } from './registry.js';
import { createState, ensureCapacity, STATE_KEY, updateOn, type RuntimeState, type ScopeContext } from './state.js';

/** Marks the probed value of line probes, which have none. */
const NO_VALUE: unknown = Symbol('faultline.no-value');

type HostWithState = ProbeHost & { [STATE_KEY]?: RuntimeState };

/**
 * Installs the host on `globalThis` (or adopts the stub there) and returns the
 * shared runtime state. A later copy of the runtime (the other module format,
 * or a re-evaluation) reuses the installed state and probes, so call sites in
 * instrumented code keep seeing one function each.
 */
export function installHost(): RuntimeState {
  const global = globalThis as unknown as Record<string, HostWithState | undefined>;
  let host = global[GLOBAL_NAME];
  if (typeof host !== 'object' || host === null) {
    // The stub's properties in the stub's order (attachProbes fills in the methods), so every host has one shape.
    host = { on: 0, n: 0, q: undefined, b: Object.create(null), file: null, l: null, a: null, c: null, r: null, w: null } as unknown as HostWithState;
    global[GLOBAL_NAME] = host;
  }
  if (typeof host.n !== 'number') host.n = 0;
  let state = host[STATE_KEY];
  if (state) return state; // Another copy of the runtime installed it: share its state and probes.
  state = createState(host);
  Object.defineProperty(host, STATE_KEY, { value: state, configurable: true });
  attachProbes(state);
  // Files registered by the stub before the runtime loaded, with the ids they already use.
  const queued = host.q;
  // Cleared, not deleted: `delete` would drop the host into dictionary mode and slow every `on` check.
  host.q = undefined;
  if (Array.isArray(queued)) for (const [path, count, table, base] of queued) registerFile(state, path, count, table, base);
  ensureCapacity(state, host.n);
  updateOn(state);
  return state;
}

/** Replaces the host's methods with the runtime's, on the same object. */
function attachProbes(state: RuntimeState): void {
  const host = state.host;

  function file(path: string, count: number, table: SiteTable): number {
    const base = host.n;
    registerFile(state, path, count, table, base); // validates before any id is allocated
    host.n = base + count;
    return base;
  }

  // Each probe makes one check, `marks[id] !== epoch`, before any other work.
  function l(id: number): void {
    if (state.marks[id] !== state.epoch) probeSlowPath(state, id, NO_VALUE, l);
  }

  function a(id: number): void {
    if (state.marks[id] !== state.epoch) probeSlowPath(state, id, NO_VALUE, a);
  }

  // `apply(…, arguments)` forwards the function's arguments without
  // materializing an arguments object, so the fast path allocates nothing.
  function c(id: number): void {
    if (state.marks[id] !== state.epoch) callSlowPath.apply(undefined, arguments as unknown as [number, ...unknown[]]);
  }

  function callSlowPath(id: number, ...args: unknown[]): void {
    probeSlowPath(state, id, args, c);
  }

  function r<T>(id: number, value: T): T {
    if (state.marks[id] !== state.epoch) return returnSlowPath(state, id, value, r);
    return value;
  }

  // Outside a race an await point only traces and stamps, and the await sees its own operand.
  function w<T>(id: number, value: T): T | Promise<Awaited<T>> {
    if (state.marks[id] !== state.epoch) return awaitSlowPath(state, id, value, w);
    return value;
  }

  host.file = file;
  host.l = l;
  host.a = a;
  host.c = c;
  host.r = r;
  host.w = w;
}

/** An await point not marked for this epoch: recorded like any probe, then parked if a race runs its execution. */
function awaitSlowPath<T>(state: RuntimeState, id: number, value: T, probe: Function): T | Promise<Awaited<T>> {
  // No glitch covers an await site (it has no glitch kind): this throws only in a crashed execution, as every probe does.
  probeSlowPath(state, id, NO_VALUE, probe);
  const race = state.scope.getStore()?.race;
  return race === undefined ? value : race.park(id, value);
}

/**
 * A probe whose site is not marked for this epoch: records it in the traces
 * of the current async context, fires an armed glitch of that context that
 * matches, and marks the site when it has nothing left to do this epoch.
 */
function probeSlowPath(state: RuntimeState, id: number, value: unknown, probe: Function): void {
  const context = state.scope.getStore();
  // While executions are tracked every probe stamps its site, so no site is ever "done".
  let done = state.executing === 0;
  const execution = context?.execution;
  if (execution !== undefined) {
    // A crashed execution runs no more instrumented code: its catch, finally and continuations stop at their first probe.
    if (execution.crashed !== undefined) throw execution.crashed;
    execution.site = id;
  }
  if (state.tracing !== 0) {
    if (context !== undefined) recordSite(context, id);
    // "Nothing left to do" holds only once the one active trace has recorded the site:
    // an execution outside it (or while several traces run) must not mark it.
    const sole = state.soleTrace;
    done &&= sole !== null && context !== undefined && context.traces.includes(sole);
  }
  if (state.mask[id] !== 0) {
    // Covered by an armed glitch: never marked, the probe must look again next time.
    if (context !== undefined) fireIfArmed(state, context, id, value, probe);
    return;
  }
  if (done) state.marks[id] = state.epoch;
}

function recordSite(context: ScopeContext, id: number): void {
  // Every probe of a tracked execution takes this path (each execution starts a new epoch), so a site first seen outside a job still gets its inJob.
  const inJob = context.execution !== undefined;
  for (const trace of context.traces) {
    if (!trace.active) continue;
    if (!trace.recorded.has(id)) {
      trace.recorded.add(id);
      trace.ids.push(id);
    }
    if (inJob) trace.inJob.add(id);
  }
}

/** Fires the first armed glitch of `context` that covers site `id` and matches `value` (a `run` fault returns; the others throw). */
function fireIfArmed(state: RuntimeState, context: ScopeContext, id: number, value: unknown, probe: Function): void {
  for (const armed of context.glitches) {
    if (!armed.active || armed.fired || !armed.ids.has(id)) continue;
    if (armed.test !== null && value !== NO_VALUE && !armed.test(value)) continue;
    if (armed.jobsOnly && context.execution === undefined) {
      armed.reachedOutsideJob = true;
      continue;
    }
    disarmSites(state, armed);
    armed.fired = true;
    armed.fire(probe, context);
    return;
  }
}

/**
 * A return probe that may fire. A before-return glitch on a function that
 * returns an in-flight promise (or thenable) fails the caller only once that
 * work has settled: its effects happened and the caller still sees the
 * failure, as when a reply is lost after the work committed. Failing at once
 * instead would leave the work running unawaited past the failed execution —
 * into its retry and the next scenario — which no real transient failure
 * does, since none strikes between making a promise and returning it.
 */
function returnSlowPath<T>(state: RuntimeState, id: number, value: T, probe: Function): T {
  try {
    probeSlowPath(state, id, value, probe);
  } catch (error) {
    // A crash stops right there: the in-flight work is abandoned with the worker.
    if (!isThenable(value) || error instanceof CrashSignal) throw error;
    const fail = (): never => {
      throw error;
    };
    return Promise.resolve(value).then(fail, fail) as T;
  }
  return value;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/** Removes an armed glitch's sites from the mask (after it fired, or when its run ends). */
export function disarmSites(state: RuntimeState, armed: { ids: Set<number>; fired: boolean }): void {
  if (armed.fired) return;
  for (const id of armed.ids) state.mask[id]--;
}

/** The shared runtime state, installed on import. */
export const runtimeState: RuntimeState = installHost();
