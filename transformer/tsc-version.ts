/**
 * Which compilers `faultline/tsc` runs on. The tsc path grafts probes with
 * TypeScript's JavaScript transformer API, which exists in TypeScript 5.x and
 * 6.x (the versions ts-patch 3 patches). TypeScript 7 is the native compiler:
 * its npm package has no such API, so the path cannot work there, and the
 * failure must say so in one line instead of surfacing as a crash deep inside
 * the compiler.
 */
import type * as TS from 'typescript';
import { brandClass, FaultlineError } from '../core/errors.js';

/** The newest major version of TypeScript `faultline/tsc` supports. */
export const NEWEST_SUPPORTED_TYPESCRIPT_MAJOR = 6;

/** The running TypeScript cannot host `faultline/tsc` (TypeScript 7+, or a build without the transformer API). */
export class UnsupportedTypeScriptError extends FaultlineError {
  /** The running compiler's `ts.version`, or `'unknown'` when it reports none. */
  readonly typescriptVersion: string;

  constructor(typescriptVersion: string, reason: string) {
    super(
      `faultline/tsc: TypeScript ${typescriptVersion} ${reason}; faultline/tsc needs TypeScript 5.x or 6.x (with ts-patch 3). ` +
        'With TypeScript 7, instrument test builds with faultline/vite or faultline/register instead.',
    );
    this.typescriptVersion = typescriptVersion;
  }
}
brandClass(UnsupportedTypeScriptError, 'UnsupportedTypeScriptError');

/** The parts of the compiler API the tsc path calls. */
const REQUIRED_API = ['createSourceFile', 'visitEachChild', 'visitNodes', 'setOriginalNode', 'setTextRange', 'forEachChild'] as const;

/**
 * Checks that `ts` is a compiler `faultline/tsc` can run on.
 * @throws UnsupportedTypeScriptError when its major version is 7 or more, or its transformer API is missing
 */
export function assertSupportedTypeScript(ts: unknown): asserts ts is typeof TS {
  const api = (ts ?? {}) as Partial<Record<string, unknown>> & { version?: unknown; factory?: { updateSourceFile?: unknown } };
  const version = typeof api.version === 'string' ? api.version : 'unknown';
  const major = Number.parseInt(version, 10);
  if (major > NEWEST_SUPPORTED_TYPESCRIPT_MAJOR) {
    throw new UnsupportedTypeScriptError(version, 'is the native compiler, which has no transformer API');
  }
  const missing: string[] = REQUIRED_API.filter((name) => typeof api[name] !== 'function');
  if (typeof api.factory?.updateSourceFile !== 'function') missing.push('factory.updateSourceFile');
  if (missing.length > 0) throw new UnsupportedTypeScriptError(version, `has no transformer API (missing ${missing.join(', ')})`);
}
