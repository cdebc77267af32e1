/**
 * The probe protocol: the one contract between instrumented code (written by
 * `faultline/transformer`) and the runtime (`faultline`).
 *
 * Instrumented code never imports the runtime. Its first line (after any
 * hashbang and directive prologue, never adding a newline) creates or reuses a
 * shared host object on `globalThis[GLOBAL_NAME]` and registers its sites:
 *
 * ```js
 * var __fl$=globalThis.__faultline||(globalThis.__faultline={<stub>}),__fl$b=__fl$.file("fixtures/jobs/transfer.ts",[[3,0],[3,1],[5,2,"transfer"],…]);
 * ```
 *
 * and every probe is guarded by the single `on` check, so an idle probe costs
 * one property load and allocates nothing:
 *
 * ```js
 * __fl$.on&&__fl$.l(__fl$b+0);           // before a statement
 * ;__fl$.on&&__fl$.a(__fl$b+1);          // after a statement completed normally
 * __fl$.on&&__fl$.c(__fl$b+2,[a,b]);     // at function entry, with the arguments
 * return __fl$.r(__fl$b+3,value);        // about to return (r returns value)
 * ```
 *
 * The stub (used when instrumented code loads before, or without, the runtime)
 * has `on: 0`, no-op probes, an `r` that returns its value, and a `file` that
 * allocates ids from `n` and queues `[path, sites, base]` in `q`. When the
 * runtime loads it adopts `n` and `q` and replaces the methods *on the same
 * object* (instrumented modules hold a reference to it), so ids never move.
 */

/** Property of `globalThis` holding the shared {@link ProbeHost}. */
export const GLOBAL_NAME = '__faultline';

/** Identifier the instrumented code binds the host to. */
export const HOST_ID = '__fl$';

/** Identifier the instrumented code binds its file's first site id to. */
export const BASE_ID = '__fl$b';

/** Site kinds as encoded in the emitted site tuples. */
export const SiteCode = { line: 0, after: 1, call: 2, return: 3 } as const;
export type SiteKind = keyof typeof SiteCode;
export type SiteCodeValue = (typeof SiteCode)[SiteKind];

/**
 * A site as emitted into instrumented code: `[line, kind]` for line sites,
 * `[line, kind, functionKey]` for call and return sites. The site id is
 * `base + index` in the file's array.
 */
export type SiteTuple = [line: number, kind: SiteCodeValue, fn?: string];

/** The shared object instrumented code calls. */
export interface ProbeHost {
  /** Non-zero while something is traced or armed: the one check every probe makes. */
  on: number;
  /** Next free site id (the stub and the runtime share it). */
  n: number;
  /** Registrations made before the runtime loaded: `[path, sites, base]`. */
  q?: [string, SiteTuple[], number][];
  /** Registers a file's sites and returns the id of its first site. */
  file(path: string, sites: SiteTuple[]): number;
  /** Before a statement. */
  l(id: number): void;
  /** After a statement that completed normally. */
  a(id: number): void;
  /** At function entry, with the positional arguments. */
  c(id: number, args: unknown[]): void;
  /** About to return `value`; returns it unchanged (or throws a glitch). */
  r<T>(id: number, value: T): T;
}
