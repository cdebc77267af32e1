/** `Glitch`: where to inject one failure, and which fault it is (transient by default). */
import { brandClass } from '../../core/errors.js';
import { GlitchFaultError, GlitchKeyTypeError } from './errors.js';
import { describeMatcher, type Matcher } from './matchers.js';
import { factoryOf, type GlitchKind } from '../../core/kinds.js';

export type { GlitchKind } from '../../core/kinds.js';

/**
 * What a glitch requires of the probed value: positional argument matchers
 * (`before-call`) or one return-value matcher (`before-return`); absent when
 * any execution of the point matches.
 */
export type GlitchCondition = { readonly args: readonly Matcher[] } | { readonly value: Matcher };

/**
 * What an armed glitch does when its point is reached: throw a
 * `TransientError` (the default), kill the execution there (`crash`), throw
 * the user's error (`raise`) or run the user's code and go on (`run`).
 */
export type GlitchFault = 'transient' | 'crash' | 'raise' | 'run';

/** What `raise` accepts: an error, an error class (constructed with no arguments), or a function returning an error. */
export type RaiseInput = Error | (new () => Error) | (() => Error);

/** The fault of a glitch with its argument (internal: read by the arming code). */
export type FaultSpec =
  | { readonly fault: 'transient' }
  | { readonly fault: 'crash' }
  | { readonly fault: 'raise'; readonly error: () => Error }
  | { readonly fault: 'run'; readonly fn: () => unknown };

const TRANSIENT: FaultSpec = { fault: 'transient' };

// Symbol.for keys, not private fields: a Glitch made by the ESM copy of
// faultline must be armable and updatable by the CommonJS copy, and vice versa.
const EXECUTED = Symbol.for('faultline.glitch.executed');
const CONDITION = Symbol.for('faultline.glitch.condition');
const FAULT = Symbol.for('faultline.glitch.fault');
const OUTCOME = Symbol.for('faultline.glitch.outcome');

interface GlitchSlots {
  [EXECUTED]?: boolean;
  [CONDITION]?: GlitchCondition;
  [FAULT]?: FaultSpec;
  [OUTCOME]?: FiringOutcome;
}

/**
 * What the latest arming of a glitch did: the error its firing threw, the
 * failure of its `run` function, or — for a crash that never fired — that
 * its point was reached, but only outside job executions.
 */
export type FiringOutcome =
  | { readonly threw: unknown }
  | { readonly runFailed: unknown }
  | { readonly onlyOutsideJobs: true };

/**
 * A point in instrumented code where an armed glitch fires, once: by default
 * it throws a `TransientError`; `.crash()`, `.raise(…)` and `.run(fn)` make a
 * glitch at the same point with another fault. Create one with the static
 * factories; the harness arms it for one scenario.
 */
export class Glitch {
  private constructor(
    readonly kind: GlitchKind,
    readonly key: string,
    condition: GlitchCondition | undefined,
  ) {
    if (condition) (this as GlitchSlots)[CONDITION] = condition;
  }

  /** Before the first statement starting on line `key` (`"path:line"`, a unique path suffix is enough). */
  static beforeLine(key: string): Glitch {
    return new Glitch('before-line', checkKey(key, 'before-line'), undefined);
  }

  /** After a statement starting on line `key` completes normally. */
  static afterLine(key: string): Glitch {
    return new Glitch('after-line', checkKey(key, 'after-line'), undefined);
  }

  /**
   * At the entry of function `key` (`name`, `Class#method`, `Class.method`,
   * optionally prefixed by `"path:"`), when its positional arguments match
   * `args` (fewer matchers than arguments check only the first ones).
   */
  static beforeCall(key: string, ...args: Matcher[]): Glitch {
    return new Glitch('before-call', checkKey(key, 'before-call'), args.length > 0 ? { args } : undefined);
  }

  /** When function `key` is about to return a value matching `value` (any value when omitted). */
  static beforeReturn(key: string, value?: Matcher): Glitch {
    // arguments.length, not `value === undefined`: beforeReturn(key, undefined) matches only undefined.
    return new Glitch('before-return', checkKey(key, 'before-return'), arguments.length > 1 ? { value } : undefined);
  }

  /** What the glitch does when it fires: `'transient'` unless made by `.crash()`, `.raise(…)` or `.run(fn)`. */
  get fault(): GlitchFault {
    return glitchFault(this).fault;
  }

  /**
   * A glitch at the same point that kills the job execution there, like
   * `kill -9` of the worker: no later instrumented code of that execution
   * runs (its `catch` and `finally` blocks included), and the queue
   * re-delivers the job after its stall timeout.
   *
   * @throws GlitchFaultError when this glitch already has a fault other than transient.
   */
  crash(): Glitch {
    return withFault(this, 'crash', { fault: 'crash' });
  }

  /**
   * A glitch at the same point that throws `error` (the user's error, retried
   * as the job's own `attempts`/`backoff` say): an Error instance (thrown as
   * is), an Error class (constructed with no arguments each time it fires) or
   * a function returning an Error.
   *
   * @throws GlitchFaultError when `error` is none of these, or this glitch already has a fault.
   */
  raise(error: RaiseInput): Glitch {
    return withFault(this, 'raise', { fault: 'raise', error: raiser(error, this) });
  }

  /**
   * A glitch at the same point that calls `fn` there (inside the job
   * execution's async context) and lets the job carry on: the way to inject
   * a rival write. `fn`'s synchronous part runs before the code goes on; a
   * promise it returns cannot hold up synchronous code, so it runs alongside
   * the job, which the harness waits for before the execution counts as
   * ended. A `fn` that throws or rejects fails the scenario with
   * `GlitchRunError`; it never fails the job itself.
   *
   * @throws GlitchFaultError when `fn` is not a function, or this glitch already has a fault.
   */
  run(fn: () => unknown): Glitch {
    if (typeof fn !== 'function') throw new GlitchFaultError(`${this}.run(fn): fn must be a function, got ${describeInput(fn)}`);
    return withFault(this, 'run', { fault: 'run', fn });
  }

  /** Whether the glitch fired during its latest arming. */
  get executed(): boolean {
    return (this as GlitchSlots)[EXECUTED] === true;
  }

  /**
   * `"before-line fixtures/jobs/transfer.ts:14"`, plus the matchers when
   * there are any; prefixed by the fault when it is not transient
   * (`"crash before-line fixtures/jobs/transfer.ts:14"`).
   */
  toString(): string {
    const fault = glitchFault(this).fault;
    return fault === 'transient' ? describePoint(this) : `${fault} ${describePoint(this)}`;
  }
}
brandClass(Glitch, 'Glitch');

/** A copy of `glitch` (same kind, key and matchers) with fault `spec`. */
function withFault(glitch: Glitch, variant: string, spec: FaultSpec): Glitch {
  const current = glitchFault(glitch).fault;
  if (current !== 'transient') {
    throw new GlitchFaultError(`${glitch}.${variant}(): this glitch already has the fault "${current}"; make the variant from the plain glitch (Glitch.${factoryOf(glitch.kind)}(key).${variant}(…))`);
  }
  // Object.create, not the private constructor: a glitch of another faultline copy gets a variant of its own class.
  const copy = Object.create(Object.getPrototypeOf(glitch) as object) as Glitch & GlitchSlots;
  Object.assign(copy, { kind: glitch.kind, key: glitch.key });
  const condition = glitchCondition(glitch);
  if (condition) copy[CONDITION] = condition;
  copy[FAULT] = spec;
  return copy;
}


/** `raise`'s input as a function making the error to throw. */
function raiser(input: unknown, glitch: Glitch): () => Error {
  if (input instanceof Error) return () => input;
  if (typeof input === 'function') {
    if (input === Error || (input as { prototype?: unknown }).prototype instanceof Error) {
      const ErrorClass = input as new () => Error;
      return () => new ErrorClass();
    }
    const factory = input as () => unknown;
    return () => {
      const error = factory();
      if (error instanceof Error) return error;
      throw new GlitchFaultError(`${glitch}.raise(factory): the factory must return an Error, it returned ${describeInput(error)}`);
    };
  }
  throw new GlitchFaultError(`${glitch}.raise(error): error must be an Error, an Error class or a function returning an Error, got ${describeInput(input)}`);
}

function describePoint(glitch: Glitch): string {
  const condition = glitchCondition(glitch);
  if (!condition) return `${glitch.kind} ${glitch.key}`;
  if ('args' in condition) return `${glitch.kind} ${glitch.key}(${condition.args.map(describeMatcher).join(', ')})`;
  return `${glitch.kind} ${glitch.key} => ${describeMatcher(condition.value)}`;
}

function describeInput(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'function') return 'a function';
  return typeof value === 'object' ? 'an object that is not an Error' : `${typeof value} ${String(value)}`;
}

/** The fault of a glitch (internal: read by the arming code). */
export function glitchFault(glitch: Glitch): FaultSpec {
  return (glitch as GlitchSlots)[FAULT] ?? TRANSIENT;
}

/** The matchers a glitch was created with (internal: read by the arming code). */
export function glitchCondition(glitch: Glitch): GlitchCondition | undefined {
  return (glitch as GlitchSlots)[CONDITION];
}

/** Sets `glitch.executed` (internal: the public property is read-only); arming clears the latest firing's outcome. */
export function setExecuted(glitch: Glitch, executed: boolean): void {
  (glitch as GlitchSlots)[EXECUTED] = executed;
  if (!executed) delete (glitch as GlitchSlots)[OUTCOME];
}

/** Records what the glitch's firing did (internal: set by the arming code). */
export function setFiringOutcome(glitch: Glitch, outcome: FiringOutcome): void {
  (glitch as GlitchSlots)[OUTCOME] = outcome;
}

/** What the glitch's latest firing did, if it fired (internal: read by the harness). */
export function firingOutcome(glitch: Glitch): FiringOutcome | undefined {
  return (glitch as GlitchSlots)[OUTCOME];
}

function checkKey(key: unknown, kind: GlitchKind): string {
  if (typeof key !== 'string' || key.length === 0) throw new GlitchKeyTypeError(key, factoryOf(kind));
  return key;
}
