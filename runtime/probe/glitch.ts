/** `Glitch`: where to inject one transient failure. */
import { brandClass } from '../../core/errors.js';
import { GlitchKeyTypeError } from './errors.js';
import { describeMatcher, type Matcher } from './matchers.js';
import { factoryOf, type GlitchKind } from '../../core/kinds.js';

export type { GlitchKind } from '../../core/kinds.js';

/**
 * What a glitch requires of the probed value: positional argument matchers
 * (`before-call`) or one return-value matcher (`before-return`); absent when
 * any execution of the point matches.
 */
export type GlitchCondition = { readonly args: readonly Matcher[] } | { readonly value: Matcher };

// Symbol.for keys, not private fields: a Glitch made by the ESM copy of
// faultline must be armable and updatable by the CommonJS copy, and vice versa.
const EXECUTED = Symbol.for('faultline.glitch.executed');
const CONDITION = Symbol.for('faultline.glitch.condition');

interface GlitchSlots {
  [EXECUTED]?: boolean;
  [CONDITION]?: GlitchCondition;
}

/**
 * A point in instrumented code where an armed glitch throws a
 * `TransientError`, once. Create one with the static factories; the harness
 * arms it for one scenario.
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

  /** Whether the glitch fired during its latest arming. */
  get executed(): boolean {
    return (this as GlitchSlots)[EXECUTED] === true;
  }

  /** `"before-line fixtures/jobs/transfer.ts:14"`, plus the matchers when there are any. */
  toString(): string {
    const condition = glitchCondition(this);
    if (!condition) return `${this.kind} ${this.key}`;
    if ('args' in condition) return `${this.kind} ${this.key}(${condition.args.map(describeMatcher).join(', ')})`;
    return `${this.kind} ${this.key} => ${describeMatcher(condition.value)}`;
  }
}
brandClass(Glitch, 'Glitch');

/** The matchers a glitch was created with (internal: read by the arming code). */
export function glitchCondition(glitch: Glitch): GlitchCondition | undefined {
  return (glitch as GlitchSlots)[CONDITION];
}

/** Sets `glitch.executed` (internal: the public property is read-only). */
export function setExecuted(glitch: Glitch, executed: boolean): void {
  (glitch as GlitchSlots)[EXECUTED] = executed;
}

function checkKey(key: unknown, kind: GlitchKind): string {
  if (typeof key !== 'string' || key.length === 0) throw new GlitchKeyTypeError(key, factoryOf(kind));
  return key;
}
