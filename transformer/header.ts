/**
 * The first-line header of an instrumented file (see runtime/protocol.ts):
 * binds `__fl$` to the shared probe host, creating the no-op stub when the
 * runtime is not loaded, and binds `__fl$b` to this file's first site id.
 */
import { BASE_ID, encodeSites, GLOBAL_NAME, HOST_ID, SiteCode, type SiteTuple } from '../runtime/protocol.js';
import type { ProbeSite } from './instrument.js';

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
 * The stub host: `on: 0`, no-op probes, `c` answering false, `r` returning its
 * value, and id allocation the runtime adopts. Same properties in the same
 * order as the runtime's host, so adopting it never changes its shape.
 */
const STUB =
  '{on:0,n:0,q:[],file(p,k,s){var b=this.n;this.n+=k;this.q.push([p,k,s,b]);return b},l(){},a(){},c(){},r(i,v){return v}}';

const G = `globalThis.${GLOBAL_NAME}`;

/** Everything before the file path: constant, so built once. */
const PREFIX =
  `var ${HOST_ID}=${G}||(${G}=((${IS_PRODUCTION})()&&console.warn(${JSON.stringify(PRODUCTION_WARNING)}),${STUB})),` +
  `${BASE_ID}=${HOST_ID}.file(`;

/**
 * The header statement for a file: one line, ending in `;`, registering the
 * sites (count, then the encoded site table) in `sites` order.
 */
export function buildHeader(file: string, sites: readonly ProbeSite[]): string {
  const tuples: SiteTuple[] = new Array(sites.length);
  for (let i = 0; i < sites.length; i++) {
    const site = sites[i]!;
    tuples[i] = site.fn === undefined ? [site.line, SiteCode[site.kind]] : [site.line, SiteCode[site.kind], site.fn];
  }
  return `${PREFIX}${JSON.stringify(file)},${sites.length},${JSON.stringify(encodeSites(tuples))});`;
}
