/** `withGlitch`: arm one glitch for one async context (internal, used by the harness). */
import { TransientError } from './errors.js';
import { glitchCondition, setExecuted, type Glitch } from './glitch.js';
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
 * matching execution there throws a `TransientError` (and sets
 * `glitch.executed`), later ones run normally. Code running concurrently
 * outside `run` is never glitched. The key is resolved before `run` starts.
 */
export async function withGlitch<T>(glitch: Glitch, run: () => T | Promise<T>): Promise<T> {
  const state = runtimeState;
  const armed = arm(state, glitch, resolveCachedKey(state, glitch.kind, glitch.key));
  try {
    const parent = state.scope.getStore();
    const context: ScopeContext = { ...parent, traces: parent?.traces ?? [], glitches: [...(parent?.glitches ?? []), armed] };
    return await state.scope.run(context, run);
  } finally {
    disarm(state, armed);
  }
}

function arm(state: RuntimeState, glitch: Glitch, { resolved, ids }: CachedKey): ArmedGlitch {
  const condition = glitchCondition(glitch);
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
    error: (probe) => {
      setExecuted(glitch, true);
      return transientError(glitch, probe);
    },
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
 * The `TransientError` of `glitch`, its stack starting at the instrumented
 * line that called `probe` (so source maps point at the user's code). The
 * stack is captured once: not by the constructor, only by captureStackTrace.
 */
function transientError(glitch: Glitch, probe: Function): TransientError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let error: TransientError;
  try {
    error = new TransientError(glitch);
  } finally {
    Error.stackTraceLimit = limit;
  }
  Error.captureStackTrace(error, probe);
  return error;
}

function disarm(state: RuntimeState, armed: ArmedGlitch): void {
  disarmSites(state, armed);
  armed.active = false;
  state.armedGlitches.delete(armed);
  state.armed = state.armedGlitches.size;
  updateOn(state);
}
