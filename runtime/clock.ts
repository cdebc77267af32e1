/**
 * The virtual clock. While the harness controls time, `globalThis.Date` is a
 * fake whose `Date.now()` and zero-argument `new Date()` / `Date()` read the
 * virtual time; everything else (`Date.UTC`, `Date.parse`, `new Date(ms)`,
 * every prototype method, `instanceof Date` in both directions) is the real
 * Date's, because the fake shares the real `Date.prototype`.
 *
 * Only `Date` is faked, never timers: database and Redis clients keep their
 * real timeouts and sockets. The virtual time stands still until the perform
 * loop jumps it forward to the next job's due time, so nothing sleeps and the
 * times job code sees are exact and repeatable.
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
  /** Virtual epoch ms, or undefined while real time runs. */
  virtualMs: number | undefined;
}

const STATE_KEY = Symbol.for('faultline.clock');

function createState(): ClockState {
  const real = globalThis.Date;
  const state: ClockState = { real, fake: undefined as unknown as DateConstructor, virtualMs: undefined };
  const now = () => state.virtualMs ?? real.now();
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

const state: ClockState = ((globalThis as any)[STATE_KEY] ??= createState());

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
  const ms = start === undefined ? (state.virtualMs ?? state.real.now()) : toEpoch(start, 'start');
  state.virtualMs = ms;
  globalThis.Date = state.fake;
}

/** Puts the real `Date` back on `globalThis`. Call it between tests (the Vitest helper does). */
export function restoreRealClock(): void {
  state.virtualMs = undefined;
  globalThis.Date = state.real;
}

/** The current time: the virtual time while installed, otherwise the real time. */
export function clockNow(): Date {
  return new state.real(clockNowMs());
}

/** {@link clockNow} as epoch milliseconds. */
export function clockNowMs(): number {
  return state.virtualMs ?? state.real.now();
}

/**
 * Jumps the virtual clock forward to `time` (installing it if needed). Never
 * moves it back: a job overdue in the past runs at the current virtual time,
 * as production would run it late.
 */
export function advanceClockTo(time: Date | number): void {
  const ms = toEpoch(time, 'time');
  if (state.virtualMs === undefined) installVirtualClock();
  if (ms > state.virtualMs!) state.virtualMs = ms;
}

/** Sets the virtual time to exactly `time`, backwards too (installing the clock if needed). */
export function setVirtualTime(time: Date | number): void {
  installVirtualClock(time);
}

function toEpoch(time: Date | number, what: string): number {
  const ms = typeof time === 'number' ? time : time instanceof state.real ? time.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new InvalidOptionError(`clock ${what}`, time, 'a valid Date or epoch ms');
  return ms;
}
