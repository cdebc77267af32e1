/**
 * Glitch key resolution. Line keys are `"<path>:<line>"`; function keys are
 * `"<fnKey>"` or `"<path>:<fnKey>"`. `<path>` may be any unique suffix, at a
 * `/` boundary, of an instrumented file's relative path. Keys resolve against
 * the latest registration of each file; a key naming no site, or several
 * files or functions, throws an error listing the closest instrumented keys.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmbiguousGlitchKeyError, UnknownGlitchKeyError } from './errors.js';
import { isFunctionSite, isLineGlitch, siteOfGlitch, type FunctionGlitchKind, type FunctionSiteKind, type GlitchKind, type LineGlitchKind, type LineSiteKind } from '../../core/kinds.js';
import { SiteCode, type SiteCodeValue, type SiteTuple } from '../../core/protocol.js';
import { fileIndex, fileSites } from './registry.js';
import type { CachedKey, FileRegistration, RuntimeState } from './state.js';

/** A key resolved to one instrumented line or function. */
export interface ResolvedKey {
  readonly kind: GlitchKind;
  /** The file's full relative path. */
  readonly path: string;
  /** The fully qualified key: `"<path>:<line>"` or `"<path>:<fnKey>"`. */
  readonly key: string;
  /** The site code the glitch fires at. */
  readonly siteKind: SiteCodeValue;
  readonly line?: number;
  readonly fn?: string;
}

const SUGGESTIONS = 5;
const LINE_KEY = /^(.+):(\d+)$/;

/** Resolves `key` for a glitch of `kind`, or throws `UnknownGlitchKeyError` / `AmbiguousGlitchKeyError`. */
export function resolveGlitchKey(state: RuntimeState, kind: GlitchKind, key: string): ResolvedKey {
  if (state.latest.size === 0) {
    throw new UnknownGlitchKeyError(
      key,
      'no instrumented code has been loaded (is the faultline plugin or loader applied to this file, and is it imported before arming?)',
      [],
    );
  }
  return isLineGlitch(kind)
    ? resolveLineKey(state, kind, key)
    : resolveFunctionKey(state, kind, key);
}

/**
 * {@link resolveGlitchKey} plus the ids of every site the key covers
 * ({@link siteIdsOf}), cached until the next file registration: a simulation
 * arms the same few keys scenario after scenario.
 */
export function resolveCachedKey(state: RuntimeState, kind: GlitchKind, key: string): CachedKey {
  const cacheKey = `${kind} ${key}`;
  let cached = state.keyCache.get(cacheKey);
  if (cached === undefined) {
    const resolved = resolveGlitchKey(state, kind, key);
    cached = { resolved, ids: [...siteIdsOf(state, resolved)] };
    state.keyCache.set(cacheKey, cached);
  }
  return cached;
}

/** Whether `site` of a file at `path` is one where a glitch on `resolved` fires. */
export function coversSite(resolved: ResolvedKey, path: string, [line, kind, fn]: SiteTuple): boolean {
  if (path !== resolved.path || kind !== resolved.siteKind) return false;
  return resolved.line !== undefined ? line === resolved.line : fn === resolved.fn;
}

/** Ids of every site, in every registration of the file, where a glitch on `resolved` fires. */
export function siteIdsOf(state: RuntimeState, resolved: ResolvedKey): Set<number> {
  const ids = new Set<number>();
  for (const file of state.registrations.get(resolved.path) ?? []) {
    fileSites(file).forEach((site, i) => {
      if (coversSite(resolved, file.path, site)) ids.add(file.base + i);
    });
  }
  return ids;
}

function resolveLineKey(state: RuntimeState, kind: LineGlitchKind, key: string): ResolvedKey {
  const match = LINE_KEY.exec(key.trim());
  if (!match) {
    const functions = closestFunctions(state, key.slice(key.lastIndexOf(':') + 1), undefined);
    throw new UnknownGlitchKeyError(key, `a ${kind} glitch needs a line key "<path>:<line>" such as "transfer.ts:14"`, functions.length > 0 ? nearestLinesOfFunctions(state, functions) : []);
  }
  const line = Number(match[2]);
  const file = resolvePath(state, key, normalizePath(match[1]!), (path) => `${path}:${line}`, (f) => nearestLines(f, line, 'line'));
  const site = siteOfGlitch(kind);
  const entry = fileIndex(file).lines.get(line);
  if (!entry || entry[site].length === 0) {
    const reason = !entry
      ? `no instrumented statement starts on line ${line} of ${file.path}`
      : `no statement starting on line ${line} of ${file.path} can complete normally, so an after-line glitch there can never fire`;
    throw new UnknownGlitchKeyError(key, reason, nearestLines(file, line, site));
  }
  return { kind, path: file.path, key: `${file.path}:${line}`, siteKind: SiteCode[site], line };
}

function resolveFunctionKey(state: RuntimeState, kind: FunctionGlitchKind, key: string): ResolvedKey {
  const siteKind = siteOfGlitch(kind);
  const split = splitFunctionKey(state, key);
  if (split.path === undefined) {
    const fn = split.fn;
    const files = [...state.latest.values()].filter((f) => fileIndex(f).functions.has(fn));
    if (files.length === 0) {
      throw new UnknownGlitchKeyError(key, `no instrumented function is named "${fn}" (${describeIncludeGlobs()})`, closestFunctions(state, fn, undefined));
    }
    if (files.length > 1) {
      throw new AmbiguousGlitchKeyError(key, `functions named "${fn}" exist in ${files.length} files; prefix the key with a path`, files.map((f) => `${f.path}:${fn}`));
    }
    return checkFunctionSites(key, kind, files[0]!, fn, siteKind);
  }
  const { path, fn } = split;
  const file = resolvePath(state, key, path, (p) => `${p}:${fn}`, (f) => closestFunctions(state, fn, f).slice(0, 1));
  if (!fileIndex(file).functions.has(fn)) {
    if (/^\d+$/.test(fn)) {
      // A line key: point at the functions around that line.
      throw new UnknownGlitchKeyError(
        key,
        `a ${kind} glitch needs a function key like "transfer", "Account#debit" or "jobs/transfer.ts:transfer", not a line`,
        functionsNearLine(file, Number(fn)),
      );
    }
    throw new UnknownGlitchKeyError(key, `${file.path} has no instrumented function "${fn}" (${describeIncludeGlobs()})`, closestFunctions(state, fn, file));
  }
  return checkFunctionSites(key, kind, file, fn, siteKind);
}

/**
 * Splits `"<path>:<fnKey>"`. Function keys may themselves contain `:` (a
 * string-literal property name), so the first split whose path names an
 * instrumented file wins; a key that is a whole function name has no path.
 */
function splitFunctionKey(state: RuntimeState, key: string): { path?: string; fn: string } {
  const files = [...state.latest.values()];
  for (let i = key.indexOf(':'); i >= 0; i = key.indexOf(':', i + 1)) {
    const path = normalizePath(key.slice(0, i));
    if (files.some((f) => pathMatches(f.path, path))) return { path, fn: key.slice(i + 1).trim() };
  }
  const colon = key.lastIndexOf(':');
  if (colon < 0 || files.some((f) => fileIndex(f).functions.has(key))) return { fn: key.trim() };
  return { path: normalizePath(key.slice(0, colon)), fn: key.slice(colon + 1).trim() };
}

function checkFunctionSites(key: string, kind: FunctionGlitchKind, file: FileRegistration, fn: string, site: FunctionSiteKind): ResolvedKey {
  const entry = fileIndex(file).functions.get(fn)!;
  if (entry[site].length === 0) {
    throw new UnknownGlitchKeyError(key, `function ${file.path}:${fn} has no instrumented ${site === 'call' ? 'entry' : 'return'}`, []);
  }
  return { kind, path: file.path, key: `${file.path}:${fn}`, siteKind: SiteCode[site], fn };
}

/** The latest registration of the one file whose path ends with `path` at a `/` boundary. */
function resolvePath(
  state: RuntimeState,
  key: string,
  path: string,
  qualify: (path: string) => string,
  near: (file: FileRegistration) => string[],
): FileRegistration {
  const files = [...state.latest.values()].filter((f) => pathMatches(f.path, path));
  if (files.length === 1) return files[0]!;
  if (files.length > 1) {
    throw new AmbiguousGlitchKeyError(key, `"${path}" is a suffix of ${files.length} instrumented files; use a longer path`, files.map((f) => qualify(f.path)));
  }
  throw new UnknownGlitchKeyError(key, `no instrumented file matches "${path}"`, closestFiles(state, path).flatMap(near));
}

function pathMatches(full: string, suffix: string): boolean {
  return full === suffix || full.endsWith(`/${suffix}`);
}

function normalizePath(path: string): string {
  return path.trim().replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

/** Files with the same basename as `path`, else the closest basenames by edit distance. */
function closestFiles(state: RuntimeState, path: string): FileRegistration[] {
  const base = basename(path);
  const files = [...state.latest.values()];
  const same = files.filter((f) => basename(f.path) === base);
  if (same.length > 0) return same.slice(0, SUGGESTIONS);
  return rank(files, (f) => editDistance(basename(f.path).toLowerCase(), base.toLowerCase())).slice(0, 3);
}

/** The instrumented lines of `file` closest to `line` that have a site of `kind`. */
function nearestLines(file: FileRegistration, line: number, kind: LineSiteKind): string[] {
  const lines = [...fileIndex(file).lines].filter(([, entry]) => entry[kind].length > 0).map(([l]) => l);
  return rank(lines, (l) => Math.abs(l - line) + (l < line ? 0.5 : 0))
    .slice(0, 3)
    .sort((x, y) => x - y)
    .map((l) => `${file.path}:${l}`);
}

/** Function keys of `file` (or all files) closest to `fn` by edit distance, qualified. */
function closestFunctions(state: RuntimeState, fn: string, file: FileRegistration | undefined): string[] {
  const keys = (file ? [file] : [...state.latest.values()]).flatMap((f) => [...fileIndex(f).functions.keys()].map((name) => ({ name, path: f.path })));
  const target = fn.toLowerCase();
  return rank(keys, (k) => editDistance(k.name.toLowerCase(), target))
    .slice(0, SUGGESTIONS)
    .map((k) => `${k.path}:${k.name}`);
}

/** Functions with a call or return site within a few lines of `line`. */
function functionsNearLine(file: FileRegistration, line: number): string[] {
  const near = new Map<string, number>();
  fileSites(file).forEach(([siteLine, kind, fn]) => {
    if (isFunctionSite(kind) && fn !== undefined) {
      const distance = Math.abs(siteLine - line);
      near.set(fn, Math.min(near.get(fn) ?? Infinity, distance));
    }
  });
  return rank([...near], ([, d]) => d)
    .slice(0, 3)
    .map(([fn]) => `${file.path}:${fn}`);
}

/** Entry lines of qualified function keys, for a line glitch given a function key. */
function nearestLinesOfFunctions(state: RuntimeState, keys: string[]): string[] {
  return keys.flatMap((qualified) => {
    const colon = qualified.lastIndexOf(':');
    const file = state.latest.get(qualified.slice(0, colon));
    const entry = file && fileIndex(file).functions.get(qualified.slice(colon + 1));
    const call = entry?.call[0];
    return call === undefined ? [] : [`${file!.path}:${fileSites(file!)[call - file!.base]![0]}`];
  });
}

function rank<T>(items: T[], score: (item: T) => number): T[] {
  return items
    .map((item) => ({ item, s: score(item) }))
    .sort((x, y) => x.s - y.s)
    .map((x) => x.item);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Where the adapters that instrument in another process (the Vite plugin, in Vitest's main process) leave their resolved include globs. */
export const ACTIVE_INCLUDE_ENV = 'FAULTLINE_ACTIVE_INCLUDE';

/**
 * Which include globs select the instrumented files, for a key naming a
 * function no instrumented file has: what the Vite plugin resolved (it runs
 * in Vitest's main process, whose environment the test workers inherit),
 * else `FAULTLINE_INCLUDE` (what `faultline/register` reads), else
 * `faultline.config.json` in the working directory.
 */
function describeIncludeGlobs(): string {
  const globs = splitList(process.env[ACTIVE_INCLUDE_ENV]) ?? splitList(process.env.FAULTLINE_INCLUDE) ?? configFileInclude();
  if (globs === undefined) {
    return 'the include globs are set in your faultline plugin or loader options: check they cover the file that defines it';
  }
  return `active include globs: ${globs.map((g) => JSON.stringify(g)).join(', ')}; is the file that defines it included?`;
}

function splitList(value: string | undefined): string[] | undefined {
  const list = value?.split(',').map((part) => part.trim()).filter(Boolean);
  return list && list.length > 0 ? list : undefined;
}

function configFileInclude(): string[] | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(process.cwd(), 'faultline.config.json'), 'utf8')) as { include?: unknown };
    const include = typeof parsed.include === 'string' ? [parsed.include] : parsed.include;
    return Array.isArray(include) && include.length > 0 ? include.map(String) : undefined;
  } catch {
    return undefined; // no (readable) config file: the globs came from elsewhere
  }
}
