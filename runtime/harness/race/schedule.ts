/**
 * Schedules: the plain-JSON record of one race run's choices, and the names
 * and timelines people read. A schedule lists every decision the scheduler
 * made, in order: which execution it let go on, and the point that
 * execution was parked at (`start` before its first line, or the `file:line`
 * of an await point). Replaying it makes the same choices; a step whose
 * execution is not parked at that point is stale.
 */
import { InvalidOptionError } from '../harness-errors.js';

/** The version of the {@link Schedule} format. */
export const SCHEDULE_VERSION = 1;

/** Where an execution is parked before its first line. */
export const START = 'start';

/**
 * One decision: `run` (an execution, `"signup#a"`) went on from `at`
 * (`"start"` or an await point's `"file:line"`). `blocked`: executions that
 * were neither parked nor ended then (waiting on a lock a parked one held);
 * informative only, replay does not check it.
 */
export interface ScheduleStep {
  readonly run: string;
  readonly at: string;
  readonly blocked?: readonly string[];
}

/** The faults `simulateRaces` combines with schedules. */
export const RACE_FAULTS = ['transient', 'crash'] as const;

/**
 * A fault at a switch point: the first time execution `run` reaches the
 * line of the await point `at` (where the schedule it varies switched away
 * from it), the line glitches before it runs: a transient failure, or a
 * crash (the worker dies there).
 */
export interface ScheduleFault {
  readonly fault: (typeof RACE_FAULTS)[number];
  readonly run: string;
  readonly at: string;
}

/** One race run's decisions, as plain JSON (`JSON.parse(JSON.stringify(schedule))` replays alike). */
export interface Schedule {
  readonly version: typeof SCHEDULE_VERSION;
  readonly steps: readonly ScheduleStep[];
  /** The fault the run injected, when it combined the race with one. */
  readonly fault?: ScheduleFault;
}

/**
 * One stretch of a run: `run` went on from `from` until it parked at `to`,
 * or to its end (`to` undefined), or until it blocked (`blocked`: it was let
 * go on from its last point and waited on something a parked execution held).
 * `visit` counts how often `run` had parked at `to` by then (1 the first
 * time): a loop's await is one point, reached again on every iteration.
 */
export interface TimelineEntry {
  readonly run: string;
  readonly from: string;
  readonly to?: string;
  readonly visit?: number;
  readonly blocked?: true;
}

/**
 * The stretches of a schedule, consecutive steps of one execution merged:
 * each ends where the execution parked next (its next step's point), or at
 * its end when it has no later step.
 */
export function timeline(schedule: Schedule): TimelineEntry[] {
  const { steps } = schedule;
  // visits[i]: how many steps up to i let steps[i].run go on from steps[i].at.
  const counts = new Map<string, number>();
  const visits = steps.map(({ run, at }) => {
    const key = `${run} ${at}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    return n;
  });
  const entries: TimelineEntry[] = [];
  for (let i = 0; i < steps.length; i++) {
    const { run, at } = steps[i]!;
    let j = i;
    while (j + 1 < steps.length && steps[j + 1]!.run === run) j++;
    if (steps[j + 1]?.blocked?.includes(run)) {
      entries.push({ run, from: at, to: steps[j]!.at, visit: visits[j]!, blocked: true });
      i = j;
      continue;
    }
    let next = j + 1;
    while (next < steps.length && steps[next]!.run !== run) next++;
    entries.push(next === steps.length ? { run, from: at } : { run, from: at, to: steps[next]!.at, visit: visits[next]! });
    i = j;
  }
  return entries;
}

/**
 * The readable name of a schedule: each stretch as `signup#a at signup.ts:17`
 * (where it was switched away from; `(2nd time)` when a loop brought it
 * there again), `signup#b blocked after signup.ts:17` (let go on from there,
 * it waited on a parked one) or `signup#b to the end`, joined by ` → `. Points are
 * shortened to the file's base name.
 */
export function scheduleName(schedule: Schedule): string {
  const entries = timeline(schedule);
  if (entries.length === 0) return '(no step)';
  const name = entries.map((entry) => `${entry.run} ${entry.to === undefined ? 'to the end' : `${entry.blocked ? 'blocked after' : 'at'} ${describeStop(entry)}`}`).join(' → ');
  return schedule.fault ? `${describeFault(schedule.fault)}: ${name}` : name;
}

/** `"crash signup#a before signup.ts:17"`. */
export function describeFault(fault: ScheduleFault): string {
  return `${fault.fault} ${fault.run} before ${shortPoint(fault.at)}`;
}

/** `"signup.ts:17"`, or `"signup.ts:17 (2nd time)"`. */
export function describeStop(entry: TimelineEntry): string {
  const point = shortPoint(entry.to ?? '');
  const visit = entry.visit ?? 1;
  return visit === 1 ? point : `${point} (${ordinal(visit)} time)`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** `"fixtures/jobs/signup.ts:17"` → `"signup.ts:17"`. */
export function shortPoint(point: string): string {
  const slash = point.lastIndexOf('/');
  return slash < 0 ? point : point.slice(slash + 1);
}

/** A schedule of these steps (and the fault the run injected). */
export function makeSchedule(steps: readonly ScheduleStep[], fault?: ScheduleFault): Schedule {
  const schedule: Schedule = { version: SCHEDULE_VERSION, steps: steps.map(({ run, at, blocked }) => (blocked !== undefined && blocked.length > 0 ? { run, at, blocked: [...blocked] } : { run, at })) };
  return fault ? { ...schedule, fault: { fault: fault.fault, run: fault.run, at: fault.at } } : schedule;
}

/**
 * Checks that `value` is a {@link Schedule} (as parsed JSON may be anything).
 * @throws InvalidOptionError naming what is malformed.
 */
export function validateSchedule(value: unknown): Schedule {
  const expected = `a race schedule { version: ${SCHEDULE_VERSION}, steps: [{ run, at }, …] } from a RaceReport`;
  if (typeof value !== 'object' || value === null) throw new InvalidOptionError('schedule', value, expected);
  const { version, steps } = value as { version?: unknown; steps?: unknown };
  if (version !== SCHEDULE_VERSION || !Array.isArray(steps) || steps.length === 0) throw new InvalidOptionError('schedule', value, expected);
  for (const step of steps) {
    const { run, at } = (step ?? {}) as { run?: unknown; at?: unknown };
    if (typeof run !== 'string' || run === '' || typeof at !== 'string' || at === '') {
      throw new InvalidOptionError('schedule step', step, '{ run: "<job>#<id>", at: "start" | "<file>:<line>" }');
    }
  }
  const { fault } = value as { fault?: unknown };
  if (fault !== undefined) {
    const { fault: kind, run, at } = (fault ?? {}) as { fault?: unknown; run?: unknown; at?: unknown };
    if (!RACE_FAULTS.includes(kind as ScheduleFault['fault']) || typeof run !== 'string' || run === '' || typeof at !== 'string' || at === '' || at === START) {
      throw new InvalidOptionError('schedule fault', fault, `{ fault: ${RACE_FAULTS.map((f) => `"${f}"`).join(' | ')}, run: "<job>#<id>", at: "<file>:<line>" }`);
    }
  }
  return value as Schedule;
}
