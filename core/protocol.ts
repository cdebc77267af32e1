/**
 * The probe protocol: the one contract between instrumented code (written by
 * `faultline/transformer`) and the runtime (`faultline`).
 *
 * Instrumented code never imports the runtime: it reaches a shared host
 * object on `globalThis[GLOBAL_NAME]`, created as a no-op stub when the
 * runtime has not loaded (yet). The identifiers instrumented code binds are
 * chosen per file: `__fl$`, `__fl$b` and `__fl$v`, or the same with `__fl1$`,
 * `__fl2$`, … when the file's text already holds `__fl$` (so no user binding,
 * property name or `with` lookup in that file can be one of them; `\u`
 * escapes are decoded before looking). Below, `H`/`B`/`V` stand for them.
 *
 * **Modules** (and CommonJS, which is function-wrapped) get a header before
 * the first statement (after any hashbang and directive prologue, never adding
 * a newline) that binds the host and the file's first site id, registering the
 * sites (count, then the encoded site table). `H` is declared as an empty
 * function, so from module instantiation on it is bound (hoisted) to that
 * function, whose `on` is `undefined`: a probe that runs before the header (a hoisted
 * function called through an ESM import cycle before its module's body ran)
 * does nothing and throws nothing, at no cost to any probe:
 *
 * ```js
 * var B;function H(){}H=globalThis.__faultline||(globalThis.__faultline={<stub>}),B=H.file("src/jobs/transfer.ts",3,"3,0;3,1;5,2,transfer");
 * ```
 *
 * Every probe is one statement guarded by the single `on` check, so an idle
 * probe costs one property load and a branch, calls nothing and allocates
 * nothing:
 *
 * ```js
 * if(H.on)H.l(B+0);                                 // before a statement
 * ;if(H.on)H.a(B+1);                                // after a statement completed normally
 * var V;if(H.on)H.c(B+2,a,b);                       // function entry, with the arguments
 * return(V=(value),H.on?H.r(B+3,V):V);              // about to return
 * if(H.on)H.r(B+4,void 0);                          // falling off the end of a body
 * await(V=(x),H.on?H.w(B+5,V):V);                    // a scheduling point: `await x`
 * for await(const v of it){if(H.on&&(V=H.w(B+6,void 0)))await V;…}  // each iteration of `for await`
 * ```
 *
 * **Await points** (site kind `await`) are where a race (`simulateRaces`)
 * may switch executions. The operand is evaluated once, into `V`, before
 * the guard; idle, `await (V=(x),V)` awaits exactly what `await x` awaits, so
 * it adds no microtask and keeps the value, the rejection and thenable
 * adoption as they were (`w` returns its value unchanged outside a race).
 * The operand keeps its parentheses, so precedence is unchanged. A `for
 * await` body starts with a guarded point that awaits only what `w` returns
 * in a race (a promise; `undefined` otherwise), so an iteration takes no
 * extra tick idle, nor traced outside a race. Awaits outside every
 * function (top-level await) get no point: they have no function-local `V`,
 * and job code runs in functions.
 *
 * Probes are statements, not `H.on&&…` expressions, because V8's block
 * coverage gives an `if` its own continuation range: an expression probe after
 * an early `return` cut the zero-count range of the code after it. Every
 * probe statement and every header statement is preceded by
 * {@link COVERAGE_HINT}, which both istanbul and ast-v8-to-istanbul (Vitest's
 * v8 provider) read as "not this node, nor anything in it", so probes add no
 * statement, branch or function to coverage; a user's own ignore hint right
 * before a statement is restated after that statement's line probe, so it
 * still applies to the statement.
 *
 * `V` is a local of every instrumented function (an expression-bodied arrow
 * `=> x` becomes `=> {var V;…return (V=(x),…)}` on the same lines): a
 * module-level temporary would make returned objects escape and box numbers.
 *
 * Probes that run back to back (nothing can run between them: the after-line
 * probe of a statement and the line probe of the next statement of the same
 * list, a call probe and the first statement's line probe, an after-line probe
 * and the implicit return) share one guard, each call still on its own line:
 *
 * ```js
 * x();;if(H.on){H.a(B+1);
 *   H.l(B+2)}y();
 * ```
 *
 * **Classic scripts** (a program that parses as a script and is not `.cjs`/`.cts`/
 * `.mjs`/`.mts`: eval, `vm.runInContext`, `node -p`, `<script>`) bind nothing: a
 * script's top-level `var`s and functions are properties of the global object,
 * shared by every script of the realm. Their probes read the host as the
 * global `__faultline` itself and the file's first site id from the host's
 * `b` table under a key naming the file and a hash of its text
 * (`__faultline.b["file.js#1a2b3c4d"]`), read only while `on`; the header
 * registers the file once per key and realm. Probes outside any function keep
 * the script's completion value (what `eval` returns): they are declarations
 * that bind nothing, and a declaration completes empty:
 * `var {}=(__faultline.on&&__faultline.l(__faultline.b[K]+0),0);`.
 *
 * **`with` bodies get no probes**: every identifier there is looked up through
 * the user's object first (a Proxy's `has` trap sees each lookup), so no probe
 * could run there unseen. The `with` statement itself is probed.
 *
 * The stub (used when instrumented code loads before, or without, the runtime)
 * has every property of the runtime's host, in the same order (`on` first), so
 * the object never changes shape once instrumented code runs: `on: 0`, no-op
 * probes, an `r` and a `w` (last: added after the others) that return their
 * value, and a
 * `file` that allocates ids from `n` and queues `[path, count, table, base]`
 * in `q`, and the empty `b` table. When the runtime loads it adopts `n`, `q`
 * and `b` and replaces the methods *on the same object* (instrumented modules
 * hold a reference to it), so ids never move.
 */

import { brandClass, FaultlineError } from './errors.js';
import { kindOfCode, type SiteCodeValue } from './kinds.js';

/** Property of `globalThis` holding the shared {@link ProbeHost}. */
export const GLOBAL_NAME = '__faultline';

/**
 * The comment before every probe and header statement: "ignore this node and
 * everything in it" to istanbul (`istanbul ignore next`) and to
 * ast-v8-to-istanbul (which reads istanbul's hints too); `@preserve` keeps it
 * through esbuild's TypeScript transform, which drops other comments.
 */
export const COVERAGE_HINT = '/*istanbul ignore next@preserve*/';

// Site kinds and their codes in the emitted site tuples are rows of the KINDS table.
export { SiteCode, type SiteCodeValue, type SiteKind } from './kinds.js';

/** A decoded site: `[line, kind]` for line and await sites, `[line, kind, functionKey]` for call and return sites. */
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
    if (!Number.isInteger(line) || line < 1 || kindOfCode(kind) === undefined) throw new SiteTableError(`site ${index} ("${table.slice(start, end)}") is not "line,kind[,fn]"`);
    sites[index++] = kindEnd === end ? [line, kind as SiteCodeValue] : [line, kind as SiteCodeValue, unescapeKey(table.slice(kindEnd + 1, end))];
    start = end + 1;
  }
  if (index !== count) throw new SiteTableError(`${index} sites instead of the ${count} announced`);
  return sites;
}

/** A {@link SiteTable} that cannot be decoded. */
export class SiteTableError extends FaultlineError {
  constructor(detail: string) {
    super(`malformed probe site table: ${detail}`);
  }
}
brandClass(SiteTableError, 'SiteTableError');

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
  /** First site id of each classic script, by the key its probes name (see the protocol above); a null-prototype object. */
  b: Record<string, number>;
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
  /**
   * A scheduling point: about to await `value` (called only while `on`).
   * Returns `value` itself unless a race runs in this async context; in a
   * race, a promise that settles like `value` once the scheduler lets this
   * execution continue. Last in the property order: added after the others.
   */
  w<T>(id: number, value: T): T | Promise<Awaited<T>>;
}
