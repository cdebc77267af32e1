/**
 * The virtual clock. While the harness controls time, `globalThis.Date` is a
 * fake whose `Date.now()` and zero-argument `new Date()` / `Date()` read the
 * virtual time; everything else (`Date.UTC`, `Date.parse`, `new Date(ms)`,
 * every prototype method, `instanceof Date` in both directions) is the real
 * Date's, because the fake shares the real `Date.prototype`.
 *
 * Only `Date` is faked, never timers: database and Redis clients keep their
 * real timeouts and sockets. Between executions the virtual time stands still
 * until the perform loop jumps it forward to the next job's due time, so
 * nothing sleeps. While a job execution runs, the clock *elapses* with real
 * time, so a job polling `Date.now()` against a deadline (lock waits, client
 * timeouts) sees time pass and ends: it reads the virtual time the execution
 * started at plus the real time elapsed since, less the first
 * {@link CLOCK_HOLD_MS} (whole ms, from the monotonic `performance.now()`).
 * Real time rather than faked timers, because the job's database and network
 * clients must keep their real timers. The hold keeps fast executions —
 * nearly all of them — at one exact, repeatable instant: the queue round
 * trips the harness itself makes (a few ms on BullMQ or pg-boss, more on a
 * loaded machine) never shift due times or production order. After an
 * execution the clock keeps the time that elapsed, so it never goes back.
 *
 * State lives on a `globalThis` symbol, so an ESM and a CommonJS copy of
 * faultline in one process share one clock and one real `Date`.
 */
import { InvalidOptionError } from './harness-errors.js';

interface ClockState {
  /** The platform's Date, captured before any fake was installed. */
  readonly real: DateConstructor;
  /** The fake installed on `globalThis.Date` while the clock is virtual. */
  readonly fake: DateConstructor;
  /** Virtual epoch ms, or undefined while real time runs (while elapsing: the virtual time at `anchor`). */
  virtualMs: number | undefined;
  /** `performance.now()` when the execution making the clock elapse started; undefined while it stands still. */
  anchor: number | undefined;
  /** Executions currently making the clock elapse (the perform loop runs one at a time; nesting is counted). */
  elapsing: number;
}

const STATE_KEY = Symbol.for('faultline.clock');

/** Real ms an execution runs before the virtual clock starts elapsing with it (see the module comment). */
export const CLOCK_HOLD_MS = 250;

function createState(): ClockState {
  const real = globalThis.Date;
  const state: ClockState = { real, fake: undefined as unknown as DateConstructor, virtualMs: undefined, anchor: undefined, elapsing: 0 };
  const now = () => virtualNow(state) ?? real.now();
  // A function, not a class: `Date()` called without `new` must return a string.
  function FakeDate(this: unknown, ...args: unknown[]): unknown {
    if (!new.target) return new real(now()).toString();
    const date: Date = args.length === 0 ? new real(now()) : new (real as any)(...args);
    // Keep subclasses (`class X extends Date` created while faked) working.
    if (new.target !== FakeDate) Object.setPrototypeOf(date, new.target.prototype);
    return date;
  }
  FakeDate.prototype = real.prototype;
  Object.setPrototypeOf(FakeDate, real); // statics: UTC, parse, …
  Object.defineProperty(FakeDate, 'now', { value: now, writable: true, configurable: true });
  Object.defineProperty(FakeDate, 'name', { value: 'Date' });
  (state as { fake: DateConstructor }).fake = FakeDate as unknown as DateConstructor;
  return state;
}

/** The virtual time now, elapsed real time included while an execution runs; undefined while real time runs. */
function virtualNow(state: ClockState): number | undefined {
  if (state.virtualMs === undefined || state.anchor === undefined) return state.virtualMs;
  return state.virtualMs + elapsed(state.anchor);
}

/** Virtual ms elapsed since `anchor` (a `performance.now()` reading): real time past the hold. */
function elapsed(anchor: number): number {
  return Math.max(0, Math.floor(performance.now() - anchor - CLOCK_HOLD_MS));
}

const state: ClockState = ((globalThis as any)[STATE_KEY] ??= createState());
// A state created by an older copy of this module lacks the elapsing fields.
state.elapsing ??= 0;

/** The platform's real `Date` constructor, whatever `globalThis.Date` is now. */
export const RealDate: DateConstructor = state.real;

/** True while the virtual clock is installed on `globalThis.Date`. */
export function isVirtualClockInstalled(): boolean {
  return state.virtualMs !== undefined;
}

/**
 * Installs the virtual clock (idempotent). Time then stands still until the
 * harness jumps it.
 *
 * @param start - the virtual time to start at; by default the real time now
 *   (or, if already installed, the current virtual time is kept).
 */
export function installVirtualClock(start?: Date | number): void {
  const ms = start === undefined ? (virtualNow(state) ?? state.real.now()) : toEpoch(start, 'start');
  setBase(ms);
  globalThis.Date = state.fake;
}

/** Puts the real `Date` back on `globalThis`. Call it between tests (the Vitest helper does). */
export function restoreRealClock(): void {
  state.virtualMs = undefined;
  state.anchor = undefined;
  state.elapsing = 0;
  globalThis.Date = state.real;
}

/**
 * Makes the virtual clock elapse with real time until the matching
 * {@link stopElapsing}: the perform loop calls it around each job execution
 * (and the wait for the work it left running), so `Date.now()` moves inside
 * a job while the clock still jumps between jobs.
 *
 * @internal
 */
export function startElapsing(): void {
  if (state.virtualMs === undefined) installVirtualClock();
  if (state.elapsing++ === 0) state.anchor = performance.now();
}

/** Ends one {@link startElapsing}: the time elapsed so far stays on the virtual clock, which stands still again. @internal */
export function stopElapsing(): void {
  if (state.elapsing === 0) return;
  if (--state.elapsing === 0) {
    if (state.virtualMs !== undefined) state.virtualMs = virtualNow(state);
    state.anchor = undefined;
  }
}

/** The current time: the virtual time while installed, otherwise the real time. */
export function clockNow(): Date {
  return new state.real(clockNowMs());
}

/** {@link clockNow} as epoch milliseconds. */
export function clockNowMs(): number {
  return virtualNow(state) ?? state.real.now();
}

/**
 * Jumps the virtual clock forward to `time` (installing it if needed). Never
 * moves it back: a job overdue in the past runs at the current virtual time,
 * as production would run it late.
 */
export function advanceClockTo(time: Date | number): void {
  const ms = toEpoch(time, 'time');
  if (state.virtualMs === undefined) installVirtualClock();
  if (ms > virtualNow(state)!) setBase(ms);
}

/** Sets the virtual time to exactly `time`, backwards too (installing the clock if needed). */
export function setVirtualTime(time: Date | number): void {
  installVirtualClock(time);
}

/** Sets the virtual time to `ms` now (an elapsing clock goes on elapsing from there). */
function setBase(ms: number): void {
  state.virtualMs = state.anchor === undefined ? ms : ms - elapsed(state.anchor);
}

function toEpoch(time: Date | number, what: string): number {
  const ms = typeof time === 'number' ? time : time instanceof state.real ? time.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new InvalidOptionError(`clock ${what}`, time, 'a valid Date or epoch ms');
  return ms;
}
