/** The site registry: what each probe id means, and per-file indexes for key resolution. */
import { ProbeRegistrationError } from './errors.js';
import { SiteCode, type SiteTuple } from './protocol.js';
import { ensureCapacity, type FileIndex, type FileRegistration, type RuntimeState, type SiteInfo } from './state.js';

/**
 * Records the sites of one instrumented file whose ids start at `base`.
 * Registering a path again (module re-evaluated) makes the new registration
 * the one keys resolve to; ids of the old one keep resolving to their sites.
 */
export function registerFile(state: RuntimeState, path: string, sites: readonly SiteTuple[], base: number): void {
  if (typeof path !== 'string' || path.length === 0) throw new ProbeRegistrationError(path, 'the file path is not a non-empty string');
  if (!Array.isArray(sites)) throw new ProbeRegistrationError(path, 'the site list is not an array');
  if (!Number.isInteger(base) || base < 0) throw new ProbeRegistrationError(path, `the first site id ${String(base)} is not a non-negative integer`);
  const file: FileRegistration = { path, base, sites };
  ensureCapacity(state, base + sites.length);
  for (let i = 0; i < sites.length; i++) {
    const [line, kind, fn] = sites[i]!;
    state.sites[base + i] = { file, line, kind, fn } satisfies SiteInfo;
  }
  state.latest.set(path, file);
  const all = state.registrations.get(path);
  if (all) all.push(file);
  else state.registrations.set(path, [file]);
  // A glitch armed on this file also covers a copy of it loaded while it is armed.
  for (const armed of state.armedGlitches) {
    if (!armed.active || armed.fired) continue;
    for (let i = 0; i < sites.length; i++) {
      if (armed.covers(path, sites[i]!) && !armed.ids.has(base + i)) {
        armed.ids.add(base + i);
        state.mask[base + i]++;
      }
    }
  }
}

/** The fully qualified key of a site: `"<file>:<line>"` for line sites, `"<file>:<fnKey>"` for call/return sites. */
export function siteKey(site: SiteInfo): string {
  return site.kind === SiteCode.call || site.kind === SiteCode.return
    ? `${site.file.path}:${site.fn}`
    : `${site.file.path}:${site.line}`;
}

/** The line and function index of a registration, built on first use. */
export function fileIndex(file: FileRegistration): FileIndex {
  if (file.index) return file.index;
  const lines: FileIndex['lines'] = new Map();
  const functions: FileIndex['functions'] = new Map();
  file.sites.forEach(([line, kind, fn], i) => {
    const id = file.base + i;
    if (kind === SiteCode.line || kind === SiteCode.after) {
      let entry = lines.get(line);
      if (!entry) lines.set(line, (entry = { line: [], after: [] }));
      (kind === SiteCode.line ? entry.line : entry.after).push(id);
    } else if (fn !== undefined) {
      let entry = functions.get(fn);
      if (!entry) functions.set(fn, (entry = { call: [], return: [] }));
      (kind === SiteCode.call ? entry.call : entry.return).push(id);
    }
  });
  return (file.index = { lines, functions });
}
