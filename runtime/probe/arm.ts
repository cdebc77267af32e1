/** `withGlitch`: arm one glitch for one async context (internal, used by the harness). */
import { CrashSignal, TransientError } from './errors.js';
import { glitchCondition, glitchFault, setExecuted, setFiringOutcome, type FaultSpec, type Glitch } from './glitch.js';
import { disarmSites, runtimeState } from './host.js';
import { coversSite, resolveCachedKey, type ResolvedKey } from './keys.js';
import { argsMatch, matches } from './matchers.js';
import { clearMarks, updateOn, type ArmedGlitch, type CachedKey, type RuntimeState, type ScopeContext } from './state.js';

/**
 * Resolves `glitch`'s key against the instrumented code loaded now (throwing
 * `UnknownGlitchKeyError` / `AmbiguousGlitchKeyError`).
 */
export function resolveGlitch(glitch: Glitch): ResolvedKey {
  return resolveCachedKey(runtimeState, glitch.kind, glitch.key).resolved;
}

/**
 * Runs `run` with `glitch` armed in its async context only: the first
 * matching execution there does the glitch's fault (and sets
 * `glitch.executed`), later ones run normally. Code running concurrently
 * outside `run` is never glitched. The key is resolved before `run` starts.
 * A `run` fault's promise is awaited before this returns.
 */
export async function withGlitch<T>(glitch: Glitch, run: () => T | Promise<T>): Promise<T> {
  const state = runtimeState;
  const running: Promise<unknown>[] = [];
  const armed = arm(state, glitch, resolveCachedKey(state, glitch.kind, glitch.key), running);
  try {
    const parent = state.scope.getStore();
    const context: ScopeContext = { ...parent, traces: parent?.traces ?? [], glitches: [...(parent?.glitches ?? []), armed] };
    const result = await state.scope.run(context, run);
    await Promise.all(running);
    return result;
  } finally {
    disarm(state, armed);
  }
}

function arm(state: RuntimeState, glitch: Glitch, { resolved, ids }: CachedKey, running: Promise<unknown>[]): ArmedGlitch {
  const condition = glitchCondition(glitch);
  const spec = glitchFault(glitch);
  const test: ArmedGlitch['test'] = !condition
    ? null
    : 'args' in condition
      ? (args) => argsMatch(condition.args, args as unknown[])
      : (value) => matches(condition.value, value);
  const armed: ArmedGlitch = {
    glitch,
    ids: new Set(ids),
    covers: (path, site) => coversSite(resolved, path, site),
    test,
    fire: faultOf(glitch, spec, running),
    jobsOnly: spec.fault === 'crash',
    reachedOutsideJob: false,
    fired: false,
    active: true,
  };
  setExecuted(glitch, false);
  for (const id of ids) state.mask[id]++;
  // Only these sites gained work: the others' marks stay valid.
  clearMarks(state, ids);
  state.armedGlitches.add(armed);
  state.armed = state.armedGlitches.size;
  updateOn(state);
  return armed;
}

/**
 * What `glitch` does when it fires. Throwing faults record the error they
 * threw (so a run can tell the glitch's error from its setup's); `crash`
 * poisons the job execution it fires in; `run` calls the user's function in
 * the probe's async context and records its failure instead of throwing it
 * into the job, which carries on.
 */
function faultOf(glitch: Glitch, spec: FaultSpec, running: Promise<unknown>[]): ArmedGlitch['fire'] {
  const throwing = (make: (probe: Function) => Error): ArmedGlitch['fire'] => (probe) => {
    setExecuted(glitch, true);
    const error = make(probe);
    setFiringOutcome(glitch, { threw: error });
    throw error;
  };
  switch (spec.fault) {
    case 'transient':
      return throwing((probe) => withStackAt(withoutStack(() => new TransientError(glitch)), probe));
    case 'raise':
      return throwing(() => spec.error());
    case 'crash':
      // Armed `jobsOnly`: it fires only where a job execution runs.
      return (probe, context) => {
        setExecuted(glitch, true);
        const signal = withStackAt(withoutStack(() => new CrashSignal(glitch)), probe);
        setFiringOutcome(glitch, { threw: signal });
        context.execution!.crash(signal);
        throw signal;
      };
    case 'run':
      return (_probe) => {
        setExecuted(glitch, true);
        const failed = (error: unknown) => setFiringOutcome(glitch, { runFailed: error });
        try {
          const result = spec.fn();
          if (isPromiseLike(result)) running.push(Promise.resolve(result).then(undefined, failed));
        } catch (error) {
          failed(error);
        }
      };
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * `error` with its stack starting at the instrumented line that called
 * `probe` (so source maps point at the user's code).
 */
function withStackAt<E extends Error>(error: E, probe: Function): E {
  Error.captureStackTrace(error, probe);
  return error;
}

/** Constructs with `Error.stackTraceLimit` 0: the stack is captured once, by withStackAt, not by the constructor too. */
function withoutStack<E>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function disarm(state: RuntimeState, armed: ArmedGlitch): void {
  if (!armed.fired && armed.reachedOutsideJob) setFiringOutcome(armed.glitch, { onlyOutsideJobs: true });
  disarmSites(state, armed);
  armed.active = false;
  state.armedGlitches.delete(armed);
  state.armed = state.armedGlitches.size;
  updateOn(state);
}

/**
 * The crash signal of the job execution running in the current async
 * context, or `error` itself when it is one (code between the job and the
 * driver may have lost the async context); undefined when nothing crashed. Drivers ask it to tell a
 * dead worker from a failed job.
 */
export function crashOf(error: unknown): Error | undefined {
  return runtimeState.scope.getStore()?.execution?.crashed ?? (error instanceof CrashSignal ? error : undefined);
}
