/**
 * The runtime's mutable state. It all lives in one object hung off the shared
 * probe host (`globalThis.__faultline`) under a `Symbol.for` key, never in
 * module variables: the ESM and CommonJS builds of faultline may both load in
 * one process, and Vitest may evaluate this module once per test file, yet
 * every copy must see the same sites, traces and armed glitches.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FunctionSiteKind, LineSiteKind } from '../../core/kinds.js';
import type { ProbeHost, SiteCodeValue, SiteTable, SiteTuple } from '../../core/protocol.js';
import type { Glitch } from './glitch.js';
import type { ResolvedKey } from './keys.js';

/** Property of the host object holding the {@link RuntimeState}. */
export const STATE_KEY = Symbol.for('faultline.runtime.state');

/** The last usable epoch before the marks are cleared and numbering restarts. */
const LAST_EPOCH = 0xffffffff;

/** One registration of one instrumented file (a file re-evaluated registers again). */
export interface FileRegistration {
  readonly path: string;
  /** Id of the first site; site `i` has id `base + i`. */
  readonly base: number;
  /** Number of sites. */
  readonly count: number;
  /** The encoded sites, as the instrumented code registered them. */
  readonly table: SiteTable;
  /** Decoded from `table` on first use (see registry.ts `fileSites`), so loading instrumented code stays cheap. */
  sites?: readonly SiteTuple[];
  /** Built on first key resolution. */
  index?: FileIndex;
}

/** Site ids of one registration, by line and by function key. */
export interface FileIndex {
  /** line → ids of its sites of each line kind (`line`, `after`). */
  readonly lines: Map<number, Record<LineSiteKind, number[]>>;
  /** function key → ids of its sites of each function kind (`call`, `return`). */
  readonly functions: Map<string, Record<FunctionSiteKind, number[]>>;
}

/** A site as the runtime knows it, by id. */
export interface SiteInfo {
  readonly file: FileRegistration;
  readonly line: number;
  readonly kind: SiteCodeValue;
  readonly fn: string | undefined;
}

/** A resolved glitch key with the ids of every site it covers. */
export interface CachedKey {
  readonly resolved: ResolvedKey;
  readonly ids: readonly number[];
}

/** A running `trace`. */
export interface ActiveTrace {
  /** Site ids in first-execution order. */
  readonly ids: number[];
  readonly recorded: Set<number>;
  /** The recorded sites that ran at least once inside a job execution. */
  readonly inJob: Set<number>;
  active: boolean;
}

/** A glitch armed by `withGlitch`. */
export interface ArmedGlitch {
  readonly glitch: Glitch;
  /** Sites where it may fire (all registrations of its file). */
  readonly ids: Set<number>;
  /** Which sites of a newly registered file it also covers. */
  readonly covers: (path: string, site: SiteTuple) => boolean;
  /**
   * Whether the probed value (arguments array or return value) satisfies the
   * glitch's matchers; null when the glitch has none (any execution fires it).
   */
  readonly test: ((value: unknown) => boolean) | null;
  /**
   * Does the glitch's fault in `context`: throws its error (its stack
   * starting at the caller of `probe`), or runs the user's function and
   * returns.
   */
  readonly fire: (probe: Function, context: ScopeContext) => void;
  /**
   * Fires only inside job executions (a crash: there is no worker to kill
   * elsewhere); a matching execution outside one runs normally and is noted
   * in `reachedOutsideJob`.
   */
  readonly jobsOnly: boolean;
  reachedOutsideJob: boolean;
  fired: boolean;
  active: boolean;
}

/**
 * A job execution the perform loop tracks (see execution.ts): the last
 * instrumented site its async context ran, which the leftover-work tracker
 * stamps on every piece of work the execution begins.
 */
export interface TrackedExecution {
  /** Id of the instrumented site its async context executed last, or -1. */
  site: number;
  /**
   * Set once a crash glitch fired in it: every later probe of its async
   * context throws this signal again, so none of its instrumented code runs.
   */
  readonly crashed: Error | undefined;
  /** Poisons the execution with `signal` and abandons its pending work (see execution.ts). */
  crash(signal: Error): void;
}

/**
 * The race scheduler's side of one racing job execution (runtime/harness/race/):
 * where the execution's await points park.
 */
export interface RaceGate {
  /**
   * At await site `id`, about to await `value`: what the await awaits instead,
   * a promise settling like `value` once the scheduler lets the execution go
   * on, or `value` itself when the race is over.
   */
  park<T>(id: number, value: T): T | Promise<Awaited<T>>;
}

/** What the async context of a traced or armed run, or of a job execution, carries. */
export interface ScopeContext {
  readonly traces: readonly ActiveTrace[];
  readonly glitches: readonly ArmedGlitch[];
  /** The job execution this context belongs to, while the perform loop runs one. */
  readonly execution?: TrackedExecution;
  /** The race this execution runs in, while a race scheduler runs it. */
  readonly race?: RaceGate;
}

export interface RuntimeState {
  readonly host: ProbeHost;
  readonly scope: AsyncLocalStorage<ScopeContext>;
  /** Every registration, by ascending `base` (ids are allocated in order): what a site id belongs to. */
  readonly files: FileRegistration[];
  /** Resolved glitch keys by `"<kind> <key>"`; cleared whenever a file registers, since resolution depends on what is loaded. */
  readonly keyCache: Map<string, CachedKey>;
  /** path → latest registration: what key resolution sees. */
  readonly latest: Map<string, FileRegistration>;
  /** path → every registration, oldest first: what an armed glitch covers. */
  readonly registrations: Map<string, FileRegistration[]>;
  /** Number of active traces (`activeTraces.size`, as a plain field for the probes). */
  tracing: number;
  readonly activeTraces: Set<ActiveTrace>;
  /** The one active trace when `tracing === 1`, else null. */
  soleTrace: ActiveTrace | null;
  /**
   * Bumped when every site may gain work (a trace starts), so every site
   * takes the slow path again once. Arming a glitch clears only its own
   * sites' marks instead.
   */
  epoch: number;
  /**
   * Site id → the epoch in which its probe was found to have nothing to do
   * (recorded by the sole trace, covered by no armed glitch): the one check
   * a probe makes before any other work.
   */
  marks: Uint32Array;
  /** Number of armed glitches not yet disarmed. */
  armed: number;
  /**
   * Number of job executions the perform loop is tracking. While non-zero,
   * probes take the slow path and sites are never marked, so every probe
   * stamps its site on its execution (what a leftover-work error names).
   */
  executing: number;
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
    files: [],
    keyCache: new Map(),
    latest: new Map(),
    registrations: new Map(),
    tracing: 0,
    activeTraces: new Set(),
    soleTrace: null,
    epoch: 1,
    marks: new Uint32Array(capacity),
    armed: 0,
    executing: 0,
    armedGlitches: new Set(),
    mask: new Uint16Array(capacity),
  };
}

/** Grows the per-site typed arrays so ids below `n` index into them. */
export function ensureCapacity(state: RuntimeState, n: number): void {
  if (n <= state.marks.length) return;
  let capacity = state.marks.length;
  while (capacity < n) capacity *= 2;
  const marks = new Uint32Array(capacity);
  marks.set(state.marks);
  state.marks = marks;
  const mask = new Uint16Array(capacity);
  mask.set(state.mask);
  state.mask = mask;
}

/** Starts a new epoch: every site's probe takes the slow path once more. */
export function newEpoch(state: RuntimeState): void {
  if (state.epoch === LAST_EPOCH) {
    state.marks.fill(0);
    state.epoch = 0;
  }
  state.epoch++;
}

/** Makes sites `ids` take the slow path again (they gained work: a glitch was armed on them). */
export function clearMarks(state: RuntimeState, ids: Iterable<number>): void {
  // 0 is never an epoch (numbering starts at 1 and restarts at 1).
  for (const id of ids) state.marks[id] = 0;
}

/** Keeps the host's `on` flag equal to the number of active traces, armed glitches and tracked executions. */
export function updateOn(state: RuntimeState): void {
  state.host.on = state.tracing + state.armed + state.executing;
}
