/**
 * Which files faultline instruments: the one include/exclude matcher and the
 * one config loader shared by every integration (Vite, tsc, Node hooks, Jest),
 * so the same settings select the same files on every path.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { brandClass, FaultlineError } from '../core/errors.js';

/** Include/exclude settings as users write them. */
export interface IncludeOptions {
  /** Globs (relative to `root`) of files to instrument. */
  include?: string | string[];
  /** Globs (relative to `root`) of files never to instrument. */
  exclude?: string | string[];
  /** Directory globs and probe keys are relative to. */
  root?: string;
}

/** Resolved settings: every field present, `root` absolute. */
export interface ResolvedIncludeOptions {
  include: string[];
  exclude: string[];
  root: string;
}

/** Decides whether one file is instrumented, and remembers what it matched. */
export interface FileMatcher {
  /** True when `file` (absolute, or relative to `root`; a `?query` is ignored) is instrumented. */
  (file: string): boolean;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly root: string;
  /** How many distinct files have matched so far. */
  readonly matchedCount: number;
  /** Include globs that have not matched any file asked about so far. */
  unmatchedIncludes(): string[];
}

/** Bad faultline configuration (options, environment or `faultline.config.json`). */
export class FaultlineConfigError extends FaultlineError {
  constructor(message: string) {
    super(message);
  }
}
brandClass(FaultlineConfigError, 'FaultlineConfigError');

/** Name of the config file looked up in the root directory. */
export const CONFIG_FILE = 'faultline.config.json';

/** Extensions of files that can hold code (declaration files are excluded separately). */
const CODE_FILE = /\.(?:[mc]?[jt]s|[jt]sx)$/;
const DECLARATION_FILE = /\.d\.[mc]?ts$/;

/** Strips a Vite-style `?query` or `#hash` from a module id. */
export function stripQuery(id: string): string {
  return id.replace(/[?#].*$/s, '');
}

/** Path of `file` relative to `root`, with `/` separators (how probe keys name files). */
export function relativePath(root: string, file: string): string {
  return path.relative(root, path.resolve(root, file)).split(path.sep).join('/');
}

function toList(value: unknown, what: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  for (const item of list) {
    if (typeof item !== 'string' || item.trim() === '') {
      throw new FaultlineConfigError(`faultline: ${what} must be a glob string or an array of glob strings, got ${JSON.stringify(item)}`);
    }
  }
  return list.map((item: string) => item.trim());
}

function splitEnv(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * Reads `faultline.config.json` (`{ "include": [...], "exclude": [...], "root": "..." }`)
 * from `dir`, or the file named by `FAULTLINE_CONFIG`. Returns `undefined` when there is none.
 * @throws FaultlineConfigError when the file is not valid JSON or has wrongly typed fields.
 */
export function readConfigFile(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): { include?: string[]; exclude?: string[]; root?: string } | undefined {
  const file = env.FAULTLINE_CONFIG ? path.resolve(dir, env.FAULTLINE_CONFIG) : path.join(dir, CONFIG_FILE);
  if (!existsSync(file)) {
    if (env.FAULTLINE_CONFIG) throw new FaultlineConfigError(`faultline: FAULTLINE_CONFIG names ${file}, which does not exist`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new FaultlineConfigError(`faultline: ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new FaultlineConfigError(`faultline: ${file} must hold a JSON object like {"include": ["src/jobs/**"]}`);
  }
  const raw = parsed as Record<string, unknown>;
  if (raw.root !== undefined && typeof raw.root !== 'string') {
    throw new FaultlineConfigError(`faultline: "root" in ${file} must be a string`);
  }
  return {
    include: toList(raw.include, `"include" in ${file}`),
    exclude: toList(raw.exclude, `"exclude" in ${file}`),
    root: raw.root === undefined ? undefined : path.resolve(path.dirname(file), raw.root as string),
  };
}

/**
 * Resolves include/exclude settings. Each of `include` and `exclude` comes from
 * the first source that sets it: explicit `options`, then the
 * `FAULTLINE_INCLUDE` / `FAULTLINE_EXCLUDE` environment variables
 * (comma-separated), then `faultline.config.json` in the root.
 * @param options explicit settings (plugin options, tsconfig plugin entry, Jest transformer options)
 * @param defaultRoot root used when neither `options.root` nor the config file sets one
 * @throws FaultlineConfigError on wrongly typed settings or when no include globs are configured anywhere.
 */
export function resolveIncludeOptions(
  options: IncludeOptions = {},
  defaultRoot: string = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): ResolvedIncludeOptions {
  if (typeof options !== 'object' || options === null) {
    throw new FaultlineConfigError(`faultline: options must be an object like { include: ['src/jobs/**'] }, got ${JSON.stringify(options)}`);
  }
  if (options.root !== undefined && typeof options.root !== 'string') {
    throw new FaultlineConfigError(`faultline: root must be a directory path string, got ${JSON.stringify(options.root)}`);
  }
  const baseRoot = path.resolve(defaultRoot, options.root ?? '.');
  const fromFile = readConfigFile(baseRoot, env);
  const root = options.root !== undefined ? baseRoot : (fromFile?.root ?? baseRoot);
  const include =
    toList(options.include, 'include') ?? splitEnv(env.FAULTLINE_INCLUDE) ?? fromFile?.include;
  const exclude =
    toList(options.exclude, 'exclude') ?? splitEnv(env.FAULTLINE_EXCLUDE) ?? fromFile?.exclude ?? [];
  if (!include || include.length === 0) {
    throw new FaultlineConfigError(
      `faultline: no include globs: pass include (e.g. ['src/jobs/**']), set FAULTLINE_INCLUDE, or write ${CONFIG_FILE} in ${root}`,
    );
  }
  return { include, exclude, root };
}

/**
 * Builds the matcher for resolved settings. Only code files
 * (`.ts .tsx .mts .cts .js .jsx .mjs .cjs`, not `.d.ts`) can match; files under
 * `node_modules` match only when an include glob names `node_modules` itself.
 */
export function createFileMatcher(options: ResolvedIncludeOptions): FileMatcher {
  const { include, exclude, root } = options;
  const glob = { dot: true };
  const includers = include.map((pattern) => ({ pattern, test: picomatch(pattern, glob), hit: false }));
  const excluded = exclude.length > 0 ? picomatch(exclude, glob) : () => false;
  const allowNodeModules = include.some((pattern) => pattern.includes('node_modules'));
  const matched = new Set<string>();

  const matcher = (file: string): boolean => {
    const clean = stripQuery(file);
    if (clean.startsWith('\0') || !CODE_FILE.test(clean) || DECLARATION_FILE.test(clean)) return false;
    const rel = relativePath(root, clean);
    if (!allowNodeModules && /(?:^|\/)node_modules\//.test(rel)) return false;
    let hit = false;
    for (const includer of includers) {
      if (includer.test(rel)) {
        includer.hit = true;
        hit = true;
      }
    }
    if (!hit || excluded(rel)) return false;
    matched.add(rel);
    return true;
  };
  // defineProperties, not Object.assign: matchedCount must stay a live getter.
  return Object.defineProperties(matcher, {
    include: { value: include },
    exclude: { value: exclude },
    root: { value: root },
    matchedCount: { get: () => matched.size },
    unmatchedIncludes: { value: () => includers.filter((i) => !i.hit).map((i) => i.pattern) },
  }) as FileMatcher;
}

/** Directories never searched for included files. */
const NOT_SEARCHED = new Set(['node_modules', '.git', 'dist', 'coverage']);

/**
 * Whether any file under the matcher's root is included: the check behind the
 * "include matched nothing" warning, so a run that simply loaded no included
 * file (one unrelated test file, say) is not mistaken for bad configuration.
 * Stops at the first match.
 */
export function anyFileIncluded(matcher: FileMatcher): boolean {
  const pending = [matcher.root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!NOT_SEARCHED.has(entry.name)) pending.push(full);
      } else if (matcher(full)) {
        return true;
      }
    }
  }
  return false;
}

/** Message for an include that selected no file. */
export function nothingMatchedMessage(include: readonly string[], root: string): string {
  return `faultline: include ${JSON.stringify(include)} matched no file under ${root}: nothing was instrumented (globs are relative to root)`;
}
