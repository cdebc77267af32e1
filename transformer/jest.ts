/**
 * `faultline/jest`: a Jest transformer that wraps the project's own one
 * (babel-jest, ts-jest, or any transformer module) and instruments included
 * files first.
 *
 * ```js
 * // jest.config.js
 * transform: { '\\.[jt]sx?$': ['faultline/jest', { transformer: 'babel-jest', include: ['src/jobs/**'] }] }
 * ```
 *
 * The inner transformer receives the instrumented source. `instrument` keeps
 * every statement on its line, so the inner transformer's source map still
 * points at the original lines.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { instrument } from './instrument.js';
import {
  createFileMatcher,
  FaultlineConfigError,
  type FileMatcher,
  type IncludeOptions,
  resolveIncludeOptions,
} from './include.js';

/** The slice of Jest's transform options faultline reads (structurally compatible with `@jest/transform`). */
export interface JestTransformOptions {
  config: { rootDir: string; cwd?: string };
  configString?: string;
  transformerConfig?: unknown;
  [key: string]: unknown;
}

/** What a Jest transformer returns. */
export type JestTransformedSource = { code: string; map?: unknown } | string;

/** The Jest transformer interface faultline implements and wraps. */
export interface JestTransformer {
  canInstrument?: boolean;
  process(sourceText: string, sourcePath: string, options: JestTransformOptions): JestTransformedSource;
  processAsync?(sourceText: string, sourcePath: string, options: JestTransformOptions): Promise<JestTransformedSource>;
  getCacheKey?(sourceText: string, sourcePath: string, options: JestTransformOptions): string;
  getCacheKeyAsync?(sourceText: string, sourcePath: string, options: JestTransformOptions): Promise<string>;
}

/** Options of `['faultline/jest', { … }]`. */
export interface FaultlineJestOptions extends IncludeOptions {
  /**
   * The transformer to wrap: a module name or path (`'babel-jest'`, `'ts-jest'`),
   * or `[name, itsOwnOptions]` as in Jest's `transform`. Default `'babel-jest'`.
   */
  transformer?: string | [string, Record<string, unknown>];
}

interface TransformerModule {
  createTransformer?: (config?: unknown) => JestTransformer | Promise<JestTransformer>;
  process?: JestTransformer['process'];
}

function loadInner(spec: string, rootDir: string): TransformerModule {
  const require = createRequire(path.join(rootDir, 'noop.js'));
  let mod: TransformerModule & { default?: TransformerModule };
  try {
    mod = require(spec);
  } catch (error) {
    throw new FaultlineConfigError(`faultline/jest: cannot load the wrapped transformer "${spec}" from ${rootDir}: ${(error as Error).message}`);
  }
  const inner = mod.default && !mod.createTransformer && !mod.process ? mod.default : mod;
  if (typeof inner.createTransformer !== 'function' && typeof inner.process !== 'function') {
    throw new FaultlineConfigError(`faultline/jest: "${spec}" is not a Jest transformer (no process or createTransformer export)`);
  }
  return inner;
}

/**
 * Creates the wrapping transformer. Jest calls this with the options given
 * next to `'faultline/jest'` in `transform`.
 * @throws FaultlineConfigError on bad options or an unloadable inner transformer
 */
export function createTransformer(options: FaultlineJestOptions = {}): JestTransformer {
  if (typeof options !== 'object' || options === null) {
    throw new FaultlineConfigError(`faultline/jest: options must be an object like { transformer: 'babel-jest', include: ['src/jobs/**'] }`);
  }
  const [spec, innerConfig] = Array.isArray(options.transformer)
    ? options.transformer
    : [options.transformer ?? 'babel-jest', {}];
  if (typeof spec !== 'string') throw new FaultlineConfigError(`faultline/jest: transformer must be a module name, got ${JSON.stringify(spec)}`);

  // Jest's rootDir is only known at the first process call; everything else waits for it.
  let state: { matcher: FileMatcher; inner: JestTransformer } | undefined;
  const setup = (jestOptions: JestTransformOptions) => {
    if (state) return state;
    const rootDir = jestOptions.config.rootDir;
    const matcher = createFileMatcher(resolveIncludeOptions({ include: options.include, exclude: options.exclude, root: options.root }, rootDir));
    const mod = loadInner(spec, rootDir);
    const inner = mod.createTransformer ? mod.createTransformer(innerConfig) : (mod as JestTransformer);
    if (typeof (inner as Promise<unknown>).then === 'function') {
      throw new FaultlineConfigError(`faultline/jest: "${spec}" creates its transformer asynchronously, which faultline/jest does not support`);
    }
    state = { matcher, inner: inner as JestTransformer };
    return state;
  };
  const innerOptions = (jestOptions: JestTransformOptions): JestTransformOptions => ({ ...jestOptions, transformerConfig: innerConfig });
  const prepare = (sourceText: string, sourcePath: string, jestOptions: JestTransformOptions) => {
    const { matcher } = setup(jestOptions);
    return matcher(sourcePath) ? instrument(sourceText, sourcePath, { root: matcher.root }).code : sourceText;
  };

  return {
    canInstrument: false,
    process(sourceText, sourcePath, jestOptions) {
      const code = prepare(sourceText, sourcePath, jestOptions);
      const { inner } = setup(jestOptions);
      if (!inner.process) throw new FaultlineConfigError(`faultline/jest: "${spec}" has no synchronous process(); use Jest's async transform path`);
      return inner.process(code, sourcePath, innerOptions(jestOptions));
    },
    async processAsync(sourceText, sourcePath, jestOptions) {
      const code = prepare(sourceText, sourcePath, jestOptions);
      const { inner } = setup(jestOptions);
      return inner.processAsync
        ? inner.processAsync(code, sourcePath, innerOptions(jestOptions))
        : inner.process(code, sourcePath, innerOptions(jestOptions));
    },
    getCacheKey(sourceText, sourcePath, jestOptions) {
      const { matcher, inner } = setup(jestOptions);
      const innerKey = inner.getCacheKey?.(sourceText, sourcePath, innerOptions(jestOptions)) ?? '';
      // Whether the file is instrumented (and how) is part of the key, so toggling faultline never reuses a stale entry.
      return createHash('sha256')
        .update(`faultline:${matcher(sourcePath)}:${JSON.stringify([matcher.include, matcher.exclude, matcher.root, spec])}\0`)
        .update(innerKey || `${sourceText}\0${jestOptions.configString ?? ''}`)
        .digest('hex');
    },
  };
}

export default { createTransformer };
