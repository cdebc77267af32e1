/** The site registry: what each probe id means, and per-file indexes for key resolution. */
import { ProbeRegistrationError } from './errors.js';
import { FUNCTION_SITE_KINDS, isFunctionSite, LINE_SITE_KINDS, siteKindOf, type FunctionSiteKind, type LineSiteKind } from '../../core/kinds.js';
import { decodeSites, type SiteTable, type SiteTuple } from '../../core/protocol.js';
import { ensureCapacity, type FileIndex, type FileRegistration, type RuntimeState, type SiteInfo } from './state.js';

/**
 * Records the `count` sites of one instrumented file, encoded in `table`,
 * whose ids start at `base`. The table is decoded only when something needs
 * the sites (key resolution, a trace's report, a glitch armed on the file).
 * Registering a path again (module re-evaluated) makes the new registration
 * the one keys resolve to; ids of the old one keep resolving to their sites.
 * @throws {ProbeRegistrationError} when the arguments are not a path, a site count, a table and an id.
 */
export function registerFile(state: RuntimeState, path: string, count: number, table: SiteTable, base: number): void {
  if (typeof path !== 'string' || path.length === 0) throw new ProbeRegistrationError(path, 'the file path is not a non-empty string');
  if (!Number.isInteger(count) || count < 0) throw new ProbeRegistrationError(path, `the site count ${String(count)} is not a non-negative integer`);
  if (typeof table !== 'string') throw new ProbeRegistrationError(path, 'the site table is not a string');
  if (!Number.isInteger(base) || base < 0) throw new ProbeRegistrationError(path, `the first site id ${String(base)} is not a non-negative integer`);
  const file: FileRegistration = { path, base, count, table };
  ensureCapacity(state, base + count);
  insertByBase(state.files, file);
  state.latest.set(path, file);
  state.keyCache.clear();
  const all = state.registrations.get(path);
  if (all) all.push(file);
  else state.registrations.set(path, [file]);
  // A glitch armed on this file also covers a copy of it loaded while it is armed.
  for (const armed of state.armedGlitches) {
    if (!armed.active || armed.fired) continue;
    const sites = fileSites(file);
    for (let i = 0; i < sites.length; i++) {
      if (armed.covers(path, sites[i]!) && !armed.ids.has(base + i)) {
        armed.ids.add(base + i);
        state.mask[base + i]++;
      }
    }
  }
}

/** Inserts `file` keeping `files` sorted by base (the stub's queue arrives in order, so this appends). */
function insertByBase(files: FileRegistration[], file: FileRegistration): void {
  let at = files.length;
  while (at > 0 && files[at - 1]!.base > file.base) at--;
  files.splice(at, 0, file);
}

/**
 * The decoded sites of a registration.
 * @throws {ProbeRegistrationError} when its table is malformed.
 */
export function fileSites(file: FileRegistration): readonly SiteTuple[] {
  if (file.sites) return file.sites;
  try {
    return (file.sites = decodeSites(file.table, file.count));
  } catch (error) {
    throw new ProbeRegistrationError(file.path, (error as Error).message, { cause: error });
  }
}

/** The site with id `id`, or undefined when no registration holds it. */
export function siteInfo(state: RuntimeState, id: number): SiteInfo | undefined {
  const files = state.files;
  let low = 0;
  let high = files.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const file = files[middle]!;
    if (id < file.base) high = middle - 1;
    else if (id >= file.base + file.count) low = middle + 1;
    else {
      const [line, kind, fn] = fileSites(file)[id - file.base]!;
      return { file, line, kind, fn };
    }
  }
  return undefined;
}

/** The fully qualified key of a site: `"<file>:<line>"` for line sites, `"<file>:<fnKey>"` for call/return sites. */
export function siteKey(site: SiteInfo): string {
  return isFunctionSite(site.kind)
    ? `${site.file.path}:${site.fn}`
    : `${site.file.path}:${site.line}`;
}

/** The line and function index of a registration, built on first use. */
export function fileIndex(file: FileRegistration): FileIndex {
  if (file.index) return file.index;
  const lines: FileIndex['lines'] = new Map();
  const functions: FileIndex['functions'] = new Map();
  fileSites(file).forEach(([line, kind, fn], i) => {
    const id = file.base + i;
    if (!isFunctionSite(kind)) {
      let entry = lines.get(line);
      if (!entry) lines.set(line, (entry = noIds(LINE_SITE_KINDS)));
      entry[siteKindOf(kind) as LineSiteKind].push(id);
    } else if (fn !== undefined) {
      let entry = functions.get(fn);
      if (!entry) functions.set(fn, (entry = noIds(FUNCTION_SITE_KINDS)));
      entry[siteKindOf(kind) as FunctionSiteKind].push(id);
    }
  });
  return (file.index = { lines, functions });
}

/** An index entry with no site id yet for each of `kinds`. */
function noIds<K extends string>(kinds: readonly K[]): Record<K, number[]> {
  return Object.fromEntries(kinds.map((kind) => [kind, []])) as unknown as Record<K, number[]>;
}
