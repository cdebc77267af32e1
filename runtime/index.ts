/**
 * `faultline`: the runtime and test harness. Glitches and traces (the probe
 * room, runtime/probe/), MemoryQueue and the production-order perform loop
 * under a virtual clock, scenarios, simulations and their JSON report, and the
 * JobDriver contract for driving other queues (the harness room,
 * runtime/harness/). The probe room's index also serves the harness, so only
 * its public names are listed here; the harness index holds public names only.
 */
export {
  Glitch,
  trace,
  traceSites,
  TransientError,
  GlitchNotExecutedError,
  GlitchKeyError,
  GlitchKeyTypeError,
  UnknownGlitchKeyError,
  AmbiguousGlitchKeyError,
  type GlitchKind,
  type Matcher,
  type TracedEvent,
  type TracedSite,
} from './probe/index.js';

export * from './harness/index.js';
