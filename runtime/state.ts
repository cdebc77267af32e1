/**
 * The runtime's mutable state. It all lives in one object hung off the shared
 * probe host (`globalThis.__faultline`) under a `Symbol.for` key, never in
 * module variables: the ESM and CommonJS builds of faultline may both load in
 * one process, and Vitest may evaluate this module once per test file, yet
 * every copy must see the same sites, traces and armed glitches.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ProbeHost, SiteCodeValue, SiteTuple } from './protocol.js';
import type { Glitch } from './glitch.js';

/** Property of the host object holding the {@link RuntimeState}. */
export const STATE_KEY = Symbol.for('faultline.runtime.state');

/** Generation that no site's `seen` entry ever holds: forces the slow path while several traces run. */
export const NO_GENERATION = 0xffffffff;

/** One registration of one instrumented file (a file re-evaluated registers again). */
export interface FileRegistration {
  readonly path: string;
  /** Id of the first site; site `i` has id `base + i`. */
  readonly base: number;
  readonly sites: readonly SiteTuple[];
  /** Built on first key resolution, so loading instrumented code stays cheap. */
  index?: FileIndex;
}

/** Site ids of one registration, by line and by function key. */
export interface FileIndex {
  /** line → ids of its before-line and after-line sites. */
  readonly lines: Map<number, { line: number[]; after: number[] }>;
  /** function key → ids of its call and return sites. */
  readonly functions: Map<string, { call: number[]; return: number[] }>;
}

/** A site as the runtime knows it, by id. */
export interface SiteInfo {
  readonly file: FileRegistration;
  readonly line: number;
  readonly kind: SiteCodeValue;
  readonly fn: string | undefined;
}

/** A running `trace`. */
export interface ActiveTrace {
  /** This trace's value in `seen` while it is the only active trace. */
  readonly generation: number;
  /** Site ids in first-execution order. */
  readonly ids: number[];
  readonly recorded: Set<number>;
  active: boolean;
}

/** A glitch armed by `withGlitch`. */
export interface ArmedGlitch {
  readonly glitch: Glitch;
  /** Sites where it may fire (all registrations of its file). */
  readonly ids: Set<number>;
  /** Which sites of a newly registered file it also covers. */
  readonly covers: (path: string, site: SiteTuple) => boolean;
  /** Whether the probed value (arguments array or return value) satisfies the glitch's matchers. */
  readonly test: (value: unknown) => boolean;
  /** Builds the error to throw, its stack starting at the caller of `probe`. */
  readonly error: (probe: Function) => Error;
  fired: boolean;
  active: boolean;
}

/** What the async context of a traced or armed run carries. */
export interface ScopeContext {
  readonly traces: readonly ActiveTrace[];
  readonly glitches: readonly ArmedGlitch[];
}

export interface RuntimeState {
  readonly host: ProbeHost;
  readonly scope: AsyncLocalStorage<ScopeContext>;
  /** Site id → site (ids of files registered before the runtime loaded included). */
  readonly sites: (SiteInfo | undefined)[];
  /** path → latest registration: what key resolution sees. */
  readonly latest: Map<string, FileRegistration>;
  /** path → every registration, oldest first: what an armed glitch covers. */
  readonly registrations: Map<string, FileRegistration[]>;
  /** Number of active traces (`activeTraces.size`, as a plain field for the probes). */
  tracing: number;
  readonly activeTraces: Set<ActiveTrace>;
  /** The one active trace when `tracing === 1`, else null. */
  soleTrace: ActiveTrace | null;
  /** `soleTrace.generation`, or {@link NO_GENERATION} while several traces run. */
  generation: number;
  lastGeneration: number;
  /** Site id → generation of the sole trace that already recorded it. */
  seen: Uint32Array;
  /** Number of armed glitches not yet disarmed. */
  armed: number;
  readonly armedGlitches: Set<ArmedGlitch>;
  /** Site id → how many unfired armed glitches cover it. */
  mask: Uint16Array;
}

/** A fresh state for `host`. */
export function createState(host: ProbeHost): RuntimeState {
  const capacity = Math.max(1024, host.n);
  return {
    host,
    scope: new AsyncLocalStorage<ScopeContext>(),
    sites: [],
    latest: new Map(),
    registrations: new Map(),
    tracing: 0,
    activeTraces: new Set(),
    soleTrace: null,
    generation: NO_GENERATION,
    lastGeneration: 0,
    seen: new Uint32Array(capacity),
    armed: 0,
    armedGlitches: new Set(),
    mask: new Uint16Array(capacity),
  };
}

/** Grows the per-site typed arrays so ids below `n` index into them. */
export function ensureCapacity(state: RuntimeState, n: number): void {
  if (n <= state.seen.length) return;
  let capacity = state.seen.length;
  while (capacity < n) capacity *= 2;
  const seen = new Uint32Array(capacity);
  seen.set(state.seen);
  state.seen = seen;
  const mask = new Uint16Array(capacity);
  mask.set(state.mask);
  state.mask = mask;
}

/** Keeps the host's `on` flag equal to the number of active traces and armed glitches. */
export function updateOn(state: RuntimeState): void {
  state.host.on = state.tracing + state.armed;
}
