/**
 * The root of every error faultline throws on purpose.
 *
 * **Names.** An error's `name` is its class name, set once on the class's
 * prototype by {@link brandClass} (from the name it is given, so bundlers that
 * rename classes do not change it); no class assigns `name` itself.
 *
 * **Branding.** `instanceof` holds across copies of faultline (the ESM and
 * CommonJS builds loaded in one process, two versions in one tree): each class
 * passed to {@link brandClass} recognises instances by a `Symbol.for` tag on
 * their prototype chain rather than by prototype identity.
 *
 * **Messages** follow one convention: `what failed: why`, optionally followed
 * by what to do, after a colon, a dash or in parentheses —
 * `workflow step "pay" is defined twice: step names must be unique within a workflow`,
 * `Invalid option kinds: an empty array (expected a non-empty array of …)`.
 * The message names the input, key, job or store that failed.
 *
 * **Retry hints.** `permanent: true` says retrying cannot succeed (every
 * driver dead-letters such an error: {@link isPermanentError}); `retryable:
 * true` says a later retry can. Both are structural: an error of any package
 * with `permanent === true` is treated the same way.
 */

/** Options every faultline error takes: the standard `cause`, and the retry hints. */
export interface FaultlineErrorOptions extends ErrorOptions {
  /** Retrying cannot succeed. */
  permanent?: boolean;
  /** Retrying later can succeed. */
  retryable?: boolean;
}

/** The `Symbol.for` tag that brands class `name`'s instances. */
function brandTag(name: string): symbol {
  return Symbol.for(`faultline.brand.${name}`);
}

/**
 * Makes `value instanceof cls` recognise instances created by another copy of
 * faultline, and, for an error class, sets its `name`: the prototype carries a
 * `Symbol.for` tag (and `name`), and the class's own `Symbol.hasInstance`
 * tests for the tag. Subclasses not passed here keep ordinary `instanceof`.
 * @param name the class's name, as written in its declaration
 */
export function brandClass(cls: { readonly prototype: object }, name: string): void {
  const tag = brandTag(name);
  Object.defineProperty(cls.prototype, tag, { value: true });
  if (cls.prototype instanceof Error) Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      if (this !== cls) return Function.prototype[Symbol.hasInstance].call(this, value);
      return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[tag] === true;
    },
  });
}

/** Sets the retry hints an error was given (only those given, so `'permanent' in error` stays meaningful). */
function applyHints(error: { permanent?: boolean; retryable?: boolean }, options: FaultlineErrorOptions | undefined): void {
  if (options?.permanent !== undefined) error.permanent = options.permanent;
  if (options?.retryable !== undefined) error.retryable = options.retryable;
}

/**
 * The root of faultline's error classes: `error instanceof FaultlineError`
 * holds for every error faultline throws on purpose, whichever copy of
 * faultline threw it. Rooms derive their own base from it (`HarnessError`,
 * `WorkflowError`, …), and errors that are also a `TypeError`, `RangeError`
 * or `SyntaxError` derive from {@link FaultlineTypeError} and its siblings.
 */
export class FaultlineError extends Error {
  /** `true` when retrying cannot succeed: every driver dead-letters the job. */
  declare readonly permanent?: boolean;
  /** `true` when a later retry can succeed. */
  declare readonly retryable?: boolean;

  constructor(message?: string, options?: FaultlineErrorOptions) {
    super(message, options);
    applyHints(this, options);
  }
}
brandClass(FaultlineError, 'FaultlineError');

/** A {@link FaultlineError} that is also a `TypeError`: a value of the wrong type. */
export class FaultlineTypeError extends TypeError {
  declare readonly permanent?: boolean;
  declare readonly retryable?: boolean;

  constructor(message?: string, options?: FaultlineErrorOptions) {
    super(message, options);
    applyHints(this, options);
  }
}

/** A {@link FaultlineError} that is also a `RangeError`: a value out of its range. */
export class FaultlineRangeError extends RangeError {
  declare readonly permanent?: boolean;
  declare readonly retryable?: boolean;

  constructor(message?: string, options?: FaultlineErrorOptions) {
    super(message, options);
    applyHints(this, options);
  }
}

/** A {@link FaultlineError} that is also a `SyntaxError`: text that does not parse. */
export class FaultlineSyntaxError extends SyntaxError {
  declare readonly permanent?: boolean;
  declare readonly retryable?: boolean;

  constructor(message?: string, options?: FaultlineErrorOptions) {
    super(message, options);
    applyHints(this, options);
  }
}

// The built-in-derived roots are FaultlineErrors by the root's brand (a class has one prototype chain).
for (const cls of [FaultlineTypeError, FaultlineRangeError, FaultlineSyntaxError]) Object.defineProperty(cls.prototype, brandTag('FaultlineError'), { value: true });
brandClass(FaultlineTypeError, 'FaultlineTypeError');
brandClass(FaultlineRangeError, 'FaultlineRangeError');
brandClass(FaultlineSyntaxError, 'FaultlineSyntaxError');

/**
 * True when retrying `error` cannot succeed: it carries `permanent === true`
 * (a faultline error, or any error of yours). The test is structural, so
 * errors of any package or copy of faultline qualify.
 */
export function isPermanentError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true;
}
