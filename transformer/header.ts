/**
 * The first-line header of an instrumented file (see core/protocol.ts).
 * A module's binds the file's host name to the shared probe host (creating
 * the no-op stub when the runtime is not loaded) and its base name to the
 * file's first site id. A classic script's binds nothing: it records its
 * base in the host's `b` table.
 */
import { COVERAGE_HINT, encodeSites, GLOBAL_NAME, SiteCode, type SiteTuple } from '../core/protocol.js';
import type { ProbeSite } from './instrument.js';
import type { ProbeText } from './probe-text.js';

/** Printed once per process when the stub is created in a production build. */
export const PRODUCTION_WARNING =
  'faultline: instrumented code is running in production without the faultline runtime; rebuild without the faultline plugin';

/**
 * Whether the stub is created in production. `process` may be missing (browsers)
 * or replaced textually (bundlers define `process.env.NODE_ENV`), so the read is
 * wrapped in try/catch rather than only guarded by `typeof process`.
 */
const IS_PRODUCTION = 'function(){try{return typeof process!=="undefined"&&process.env.NODE_ENV==="production"}catch(e){return false}}';

/**
 * The stub host: `on: 0`, no-op probes, `c` answering false, `r` and `w` (last,
 * so hosts made before it existed keep their shape up to it) returning their
 * value, id allocation and the classic scripts' `b` table, which the runtime adopts. Same properties in the same
 * order as the runtime's host, so adopting it never changes its shape.
 */
const STUB =
  '{on:0,n:0,q:[],b:{__proto__:null},file(p,k,s){var b=this.n;this.n+=k;this.q.push([p,k,s,b]);return b},l(){},a(){},c(){},r(i,v){return v},w(i,v){return v}}';

const G = `globalThis.${GLOBAL_NAME}`;

/** The host, created as the stub when missing: constant, so built once. */
const HOST = `(${G}||(${G}=((${IS_PRODUCTION})()&&console.warn(${JSON.stringify(PRODUCTION_WARNING)}),${STUB})))`;

/**
 * The header statements for a file: one line, ending in `;`, registering the
 * sites (count, then the encoded site table) in `sites` order. Each statement
 * carries the coverage hint, so coverage tools see none of it.
 */
export function buildHeader(file: string, sites: readonly ProbeSite[], text: ProbeText): string {
  const tuples: SiteTuple[] = new Array(sites.length);
  for (let i = 0; i < sites.length; i++) {
    const site = sites[i]!;
    tuples[i] = site.fn === undefined ? [site.line, SiteCode[site.kind]] : [site.line, SiteCode[site.kind], site.fn];
  }
  const registration = `.file(${JSON.stringify(file)},${sites.length},${JSON.stringify(encodeSites(tuples))})`;
  if (text.script) {
    // `var {}` binds nothing and completes empty: no global, and the script's completion value stays the user's.
    const key = JSON.stringify(text.scriptKey);
    return `${COVERAGE_HINT}var {}=(function(h){return h.b[${key}]===undefined&&(h.b[${key}]=h${registration}),0})${HOST};`;
  }
  const { host, base } = text.names;
  // Until this runs, the host name is an empty hoisted function (its `on` is undefined): a probe running earlier (through an import cycle) does nothing.
  return `${COVERAGE_HINT}var ${base};${COVERAGE_HINT}function ${host}(){}${COVERAGE_HINT}${host}=${HOST},${base}=${host}${registration};`;
}
