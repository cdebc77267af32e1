/**
 * The probe room: the host instrumented code calls (installed on import),
 * the site registry, tracing, glitches and their keys, and the state they
 * share. The harness imports the probe runtime through this module only;
 * users get its public part from the `faultline` barrel (runtime/index.ts).
 */
export { runtimeState } from './host.js';
export { siteInfo } from './registry.js';
export { newEpoch, updateOn, type RuntimeState, type ScopeContext, type TrackedExecution, type RaceGate } from './state.js';
export { withGlitch, resolveGlitch, crashOf } from './arm.js';
export { Glitch, firingOutcome, type GlitchKind, type GlitchFault, type RaiseInput } from './glitch.js';
export type { Matcher } from './matchers.js';
export { trace, traceSites, type TracedEvent, type TracedSite } from './trace.js';
export {
  TransientError,
  CrashSignal,
  CrashOutsideJobError,
  GlitchFaultError,
  GlitchNotExecutedError,
  GlitchKeyError,
  GlitchKeyTypeError,
  UnknownGlitchKeyError,
  AmbiguousGlitchKeyError,
  ProbeRegistrationError,
} from './errors.js';
