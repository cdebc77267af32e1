/**
 * Error classes of the probe runtime. Each carries a cross-copy brand so
 * `instanceof` holds even when the ESM and CommonJS builds of faultline are
 * both loaded in one process (an error thrown by one copy, tested with the
 * other's class).
 */
import type { Glitch } from './glitch.js';
import { brandClass, FaultlineError, FaultlineTypeError } from '../../core/errors.js';

/** A glitch key that is not a non-empty string, caught when the `Glitch` is constructed. */
export class GlitchKeyTypeError extends FaultlineTypeError {
  constructor(readonly key: unknown, factory: string) {
    super(
      `Glitch.${factory}(key): the key must be a non-empty string like "jobs/transfer.ts:14" or "Account#debit", got ${describe(key)}`,
    );
  }
}
brandClass(GlitchKeyTypeError, 'GlitchKeyTypeError');

/** Instrumented code registered sites the runtime cannot read (built by another faultline version?). */
export class ProbeRegistrationError extends FaultlineTypeError {
  constructor(readonly path: unknown, detail: string, options?: ErrorOptions) {
    super(`faultline: cannot register the probe sites of ${String(path)}: ${detail} (was it instrumented by another faultline version?)`, options);
  }
}
brandClass(ProbeRegistrationError, 'ProbeRegistrationError');

/** Base class of the errors raised when a glitch key does not name exactly one instrumented place. */
export class GlitchKeyError extends FaultlineError {
  constructor(
    /** The key as the user wrote it. */
    readonly key: string,
    message: string,
    /** Fully qualified keys of the closest instrumented places (possibly empty). */
    readonly suggestions: readonly string[],
  ) {
    super(message);
  }
}
brandClass(GlitchKeyError, 'GlitchKeyError');

/** A glitch key that matches no instrumented site. */
export class UnknownGlitchKeyError extends GlitchKeyError {
  constructor(key: string, reason: string, suggestions: readonly string[]) {
    super(key, `Unknown glitch key "${key}": ${reason}${formatSuggestions('Closest instrumented', suggestions)}`, suggestions);
  }
}
brandClass(UnknownGlitchKeyError, 'UnknownGlitchKeyError');

/** A glitch key that matches several instrumented files or functions. */
export class AmbiguousGlitchKeyError extends GlitchKeyError {
  constructor(key: string, reason: string, candidates: readonly string[]) {
    super(key, `Ambiguous glitch key "${key}": ${reason}${formatSuggestions('Candidates', candidates)}`, candidates);
  }
}
brandClass(AmbiguousGlitchKeyError, 'AmbiguousGlitchKeyError');

/**
 * What an armed glitch throws, once, at the instrumented point it names. The
 * harness retries it the way a production queue retries a transient failure.
 */
export class TransientError extends FaultlineError {
  constructor(readonly glitch: Glitch) {
    super(`faultline: transient failure injected by glitch ${glitch}`);
  }
}
brandClass(TransientError, 'TransientError');

/** An armed glitch whose point was never reached while it was armed. */
export class GlitchNotExecutedError extends FaultlineError {
  constructor(
    readonly glitch: Glitch,
    why = 'no matching execution happened while it was armed',
  ) {
    super(`faultline: glitch ${glitch} never fired: ${why}`);
  }
}
brandClass(GlitchNotExecutedError, 'GlitchNotExecutedError');

function formatSuggestions(label: string, keys: readonly string[]): string {
  return keys.length === 0 ? '' : `. ${label}: ${keys.join(', ')}`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return 'an empty string';
  if (value === null) return 'null';
  return typeof value === 'object' || typeof value === 'function' ? `a ${typeof value}` : `${typeof value} ${String(value)}`;
}

/** A fault variant asked of a glitch that cannot take it (`.crash()` on a glitch that has a fault already, `raise` with a non-error, …). */
export class GlitchFaultError extends FaultlineTypeError {
  constructor(message: string) {
    super(`faultline: ${message}`);
  }
}
brandClass(GlitchFaultError, 'GlitchFaultError');

/**
 * What every probe of a crashed job execution throws, from its crash glitch
 * on: the worker is dead, so the execution's instrumented code — its `catch`
 * and `finally` blocks, the continuations of promises it started — stops at
 * its first probe, again and again. Not a failure of the job: the driver
 * records no outcome and the queue re-delivers the job as stalled. Only
 * uninstrumented code can catch it (see the README's "Faults").
 */
export class CrashSignal extends FaultlineError {
  /** Structural mark, for code that must not import faultline (a crashed execution's error is no outcome). */
  readonly crashed = true;
  constructor(readonly glitch: Glitch) {
    super(`faultline: the worker crashed at glitch ${glitch}; no more code of this job execution runs`);
  }
}
brandClass(CrashSignal, 'CrashSignal');

/**
 * A crash glitch that never fired because its point ran only outside job
 * executions — in a scenario's `start`, say, the code that enqueues. A crash
 * kills a worker in the middle of a job, so it fires only inside job
 * executions; the code around them is the test's own, has no worker to kill,
 * and runs on normally.
 */
export class CrashOutsideJobError extends GlitchNotExecutedError {
  constructor(glitch: Glitch) {
    super(
      glitch,
      `its point ran only outside job executions (in the scenario's start, or other code the perform loop does not run as a job); ` +
        `a crash fires only inside job executions, where it kills the worker; glitch the enqueuing code with a transient or raise fault instead`,
    );
  }
}
brandClass(CrashOutsideJobError, 'CrashOutsideJobError');
