/** `withGlitch`: arm one glitch for one async context (internal, used by the harness). */
import { TransientError } from './errors.js';
import { glitchCondition, setExecuted, type Glitch } from './glitch.js';
import { disarmSites, runtimeState } from './host.js';
import { coversSite, resolveGlitchKey, siteIdsOf, type ResolvedKey } from './keys.js';
import { argsMatch, matches } from './matchers.js';
import { newEpoch, updateOn, type ArmedGlitch, type RuntimeState, type ScopeContext } from './state.js';

/**
 * Resolves `glitch`'s key against the instrumented code loaded now (throwing
 * `UnknownGlitchKeyError` / `AmbiguousGlitchKeyError`).
 */
export function resolveGlitch(glitch: Glitch): ResolvedKey {
  return resolveGlitchKey(runtimeState, glitch.kind, glitch.key);
}

/**
 * Runs `run` with `glitch` armed in its async context only: the first
 * matching execution there throws a `TransientError` (and sets
 * `glitch.executed`), later ones run normally. Code running concurrently
 * outside `run` is never glitched. The key is resolved before `run` starts.
 */
export async function withGlitch<T>(glitch: Glitch, run: () => T | Promise<T>): Promise<T> {
  const state = runtimeState;
  const resolved = resolveGlitch(glitch);
  const armed = arm(state, glitch, resolved);
  try {
    const parent = state.scope.getStore();
    const context: ScopeContext = { traces: parent?.traces ?? [], glitches: [...(parent?.glitches ?? []), armed] };
    return await state.scope.run(context, run);
  } finally {
    disarm(state, armed);
  }
}

function arm(state: RuntimeState, glitch: Glitch, resolved: ResolvedKey): ArmedGlitch {
  const condition = glitchCondition(glitch);
  const test: (value: unknown) => boolean = !condition
    ? () => true
    : 'args' in condition
      ? (args) => argsMatch(condition.args, args as unknown[])
      : (value) => matches(condition.value, value);
  const armed: ArmedGlitch = {
    glitch,
    ids: siteIdsOf(state, resolved),
    covers: (path, site) => coversSite(resolved, path, site),
    test,
    error: (probe) => {
      setExecuted(glitch, true);
      const error = new TransientError(glitch);
      // Start the stack at the instrumented line that called the probe, so source maps point at the user's code.
      Error.captureStackTrace(error, probe);
      return error;
    },
    fired: false,
    active: true,
  };
  setExecuted(glitch, false);
  for (const id of armed.ids) state.mask[id]++;
  // Sites marked idle earlier must look at the mask again.
  newEpoch(state);
  state.armedGlitches.add(armed);
  state.armed = state.armedGlitches.size;
  updateOn(state);
  return armed;
}

function disarm(state: RuntimeState, armed: ArmedGlitch): void {
  disarmSites(state, armed);
  armed.active = false;
  state.armedGlitches.delete(armed);
  state.armed = state.armedGlitches.size;
  updateOn(state);
}
