/**
 * The probe protocol: the one contract between instrumented code (written by
 * `faultline/transformer`) and the runtime (`faultline`).
 *
 * Instrumented code never imports the runtime. Its first line (after any
 * hashbang and directive prologue, never adding a newline) creates or reuses a
 * shared host object on `globalThis[GLOBAL_NAME]` and registers its sites
 * (count, then the encoded site table):
 *
 * ```js
 * var __fl$=globalThis.__faultline||(globalThis.__faultline={<stub>}),__fl$b=__fl$.file("fixtures/jobs/transfer.ts",3,"3,0;3,1;5,2,transfer");
 * ```
 *
 * Every probe is guarded by the single `on` check, so an idle probe costs one
 * property load and a branch, calls nothing and allocates nothing:
 *
 * ```js
 * __fl$.on&&__fl$.l(__fl$b+0);                          // before a statement
 * ;__fl$.on&&__fl$.a(__fl$b+1);                         // after a statement completed normally
 * var __fl$v;__fl$.on&&__fl$.c(__fl$b+2,a,b);          // function entry, with the arguments
 * return (__fl$v=(value),__fl$.on?__fl$.r(__fl$b+3,__fl$v):__fl$v); // about to return
 * __fl$.on&&__fl$.r(__fl$b+4,void 0);                   // falling off the end of a body
 * ```
 *
 * `__fl$v` is a local of every instrumented function (an expression-bodied
 * arrow `=> x` becomes `=> {var __fl$v;…return (x)}` on the same lines): a
 * module-level temporary would make returned objects escape and box numbers.
 *
 * Probes that run back to back (nothing can run between them: the after-line
 * probe of a statement and the line probe of the next statement of the same
 * list, a call probe and the first statement's line probe, an after-line probe
 * and the implicit return) share one guard, each call still on its own line:
 *
 * ```js
 * x();;__fl$.on&&(__fl$.a(__fl$b+1),
 *   __fl$.l(__fl$b+2));y();
 * ```
 *
 * The stub (used when instrumented code loads before, or without, the runtime)
 * has every property of the runtime's host, in the same order (`on` first), so
 * the object never changes shape once instrumented code runs: `on: 0`, no-op
 * probes, an `r` that returns its value, and a
 * `file` that allocates ids from `n` and queues `[path, count, table, base]`
 * in `q`. When the runtime loads it adopts `n` and `q` and replaces the
 * methods *on the same object* (instrumented modules hold a reference to it),
 * so ids never move.
 */

/** Property of `globalThis` holding the shared {@link ProbeHost}. */
export const GLOBAL_NAME = '__faultline';

/** Identifier the instrumented code binds the host to. */
export const HOST_ID = '__fl$';

/** Identifier the instrumented code binds its file's first site id to. */
export const BASE_ID = '__fl$b';

/** Identifier of the function-local temporary a return probe stores the returned value in. */
export const VALUE_ID = '__fl$v';

/** Site kinds as encoded in the emitted site tuples. */
export const SiteCode = { line: 0, after: 1, call: 2, return: 3 } as const;
export type SiteKind = keyof typeof SiteCode;
export type SiteCodeValue = (typeof SiteCode)[SiteKind];

/** A decoded site: `[line, kind]` for line sites, `[line, kind, functionKey]` for call and return sites. */
export type SiteTuple = [line: number, kind: SiteCodeValue, fn?: string];

/**
 * The site table as emitted into instrumented code: one string, sites
 * separated by `;`, fields by `,`: `line,kind` or `line,kind,functionKey`
 * (`"3,0;3,1;5,2,transfer"`). A function key containing `%`, `,` or `;` has
 * them percent-encoded. Site `i` of the table has id `base + i`. The runtime
 * decodes a table only when it needs the sites (see {@link decodeSites}).
 */
export type SiteTable = string;

/** Encodes decoded sites as a {@link SiteTable}: the inverse of {@link decodeSites}. */
export function encodeSites(sites: readonly SiteTuple[]): SiteTable {
  const parts: string[] = new Array(sites.length);
  for (let i = 0; i < sites.length; i++) {
    const [line, kind, fn] = sites[i]!;
    parts[i] = fn === undefined ? `${line},${kind}` : `${line},${kind},${escapeKey(fn)}`;
  }
  return parts.join(';');
}

/**
 * Decodes a {@link SiteTable} into `count` site tuples.
 * @throws {SiteTableError} when the table is malformed or does not hold `count` sites.
 */
export function decodeSites(table: SiteTable, count: number): SiteTuple[] {
  const sites: SiteTuple[] = new Array(count);
  if (count === 0) {
    if (table !== '') throw new SiteTableError('an empty table was expected');
    return sites;
  }
  let index = 0;
  let start = 0;
  while (start <= table.length) {
    let end = table.indexOf(';', start);
    if (end === -1) end = table.length;
    if (index >= count) throw new SiteTableError(`more than the ${count} sites announced`);
    const first = table.indexOf(',', start);
    if (first === -1 || first > end) throw new SiteTableError(`site ${index} has no kind`);
    const second = table.indexOf(',', first + 1);
    const kindEnd = second === -1 || second > end ? end : second;
    const line = Number(table.slice(start, first));
    const kind = Number(table.slice(first + 1, kindEnd));
    if (!Number.isInteger(line) || line < 1 || !(kind in KIND_OF_CODE)) throw new SiteTableError(`site ${index} ("${table.slice(start, end)}") is not "line,kind[,fn]"`);
    sites[index++] = kindEnd === end ? [line, kind as SiteCodeValue] : [line, kind as SiteCodeValue, unescapeKey(table.slice(kindEnd + 1, end))];
    start = end + 1;
  }
  if (index !== count) throw new SiteTableError(`${index} sites instead of the ${count} announced`);
  return sites;
}

/** A {@link SiteTable} that cannot be decoded. */
export class SiteTableError extends Error {
  constructor(detail: string) {
    super(`malformed probe site table: ${detail}`);
    this.name = 'SiteTableError';
  }
}

const KIND_OF_CODE: Record<number, SiteKind> = { 0: 'line', 1: 'after', 2: 'call', 3: 'return' };

function escapeKey(fn: string): string {
  return /[%,;]/.test(fn) ? fn.replace(/[%,;]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : fn;
}

function unescapeKey(text: string): string {
  return text.includes('%') ? text.replace(/%(25|2C|3B)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : text;
}

/** The shared object instrumented code calls. Property order is the stub's: `on` first. */
export interface ProbeHost {
  /** Non-zero while something is traced or armed: the one check every probe makes. */
  on: number;
  /** Next free site id (the stub and the runtime share it). */
  n: number;
  /** Registrations made before the runtime loaded: `[path, count, table, base]`; `undefined` once adopted. */
  q: [string, number, SiteTable, number][] | undefined;
  /** Registers a file's `count` sites and returns the id of its first site. */
  file(path: string, count: number, sites: SiteTable): number;
  /** Before a statement. */
  l(id: number): void;
  /** After a statement that completed normally. */
  a(id: number): void;
  /**
   * At function entry, with the function's arguments (parameters as
   * written; a destructured one as an object of the names it binds): records
   * the call and fires an armed glitch whose matchers, if any, accept them.
   */
  c(id: number, ...args: unknown[]): void;
  /** About to return `value` (called only while `on`); returns it unchanged, or throws a glitch. */
  r<T>(id: number, value: T): T;
}
