/**
 * `faultline`: the runtime and test harness, the names users call or type
 * against (test/package/pack.test.ts pins the list). Glitches, their errors
 * and `trace` (the probe room, runtime/probe/); MemoryQueue and the
 * production-order perform loop under a virtual clock, scenarios,
 * simulations and their JSON report, retry policies, and the JobDriver
 * contract for driving other queues (the harness room, runtime/harness/).
 * The probe room's index also serves the harness, so its public names are
 * picked here; the harness index holds public names only.
 */
export {
  Glitch,
  trace,
  TransientError,
  CrashSignal,
  CrashOutsideJobError,
  GlitchFaultError,
  GlitchNotExecutedError,
  GlitchKeyError,
  GlitchKeyTypeError,
  UnknownGlitchKeyError,
  AmbiguousGlitchKeyError,
  type GlitchKind,
  type GlitchFault,
  type RaiseInput,
  type Matcher,
  type TracedEvent,
} from './probe/index.js';

export * from './harness/index.js';

/** The root of every error faultline throws: `error instanceof FaultlineError`, whichever copy threw it. */
export { FaultlineError } from '../core/errors.js';
