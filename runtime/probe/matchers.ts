/** Argument and return-value matchers of `Glitch.beforeCall` / `Glitch.beforeReturn`. */
import { inspect, isDeepStrictEqual } from 'node:util';

/**
 * A predicate (`(value) => boolean`), a `RegExp` (tested against strings
 * only), or any other value (compared with `isDeepStrictEqual`).
 */
export type Matcher = ((value: unknown) => boolean) | RegExp | unknown;

/** Whether `value` satisfies `matcher`. */
export function matches(matcher: Matcher, value: unknown): boolean {
  if (typeof matcher === 'function') return Boolean((matcher as (value: unknown) => unknown)(value));
  if (matcher instanceof RegExp) {
    if (typeof value !== 'string') return false;
    // A global or sticky RegExp is stateful; reset it so every probe tests from the start.
    matcher.lastIndex = 0;
    return matcher.test(value);
  }
  return isDeepStrictEqual(value, matcher);
}

/** Whether the positional `args` satisfy `matchers` (extra arguments are not checked). */
export function argsMatch(matchers: readonly Matcher[], args: readonly unknown[]): boolean {
  for (let i = 0; i < matchers.length; i++) if (!matches(matchers[i], args[i])) return false;
  return true;
}

/** A short human form of a matcher, for glitch names. */
export function describeMatcher(matcher: Matcher): string {
  if (typeof matcher === 'function') return matcher.name ? `${matcher.name}()` : '<predicate>';
  return inspect(matcher, { depth: 2, breakLength: Infinity });
}
