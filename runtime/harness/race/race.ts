/**
 * Races: the jobs `start` enqueues run concurrently, switched at their await
 * points by the scheduler (scheduler.ts). `runRace` replays one schedule;
 * `simulateRaces` explores them: every schedule with at most `preemptions`
 * preemptions, fewest preemptions first (iterative context bounding, as in
 * CHESS: Musuvathi & Qadeer, PLDI 2007), up to `schedules`; when the cap
 * cuts the bounded space short, `samples` more schedules drawn by PCT with
 * `seed`. Each schedule is isolated like a simulation's scenario (the queue
 * cleared, `reset`, the same virtual start time) and obeys the trust rules
 * (a job failed for good fails it with JobFailedError; leftover work with
 * LeftoverWorkError). With `faults`, every explored schedule also yields a
 * variant per switch point and fault: the switched-away execution glitches
 * at that await's line (a transient failure, or a crash), the schedule's
 * choices up to there kept (see {@link SimulateRacesOptions.faults}).
 */
import { inspect } from 'node:util';
import { clockNowMs, installVirtualClock, setVirtualTime } from '../clock.js';
import type { JobDriver } from '../driver.js';
import { InvalidOptionError, RunFailedError } from '../harness-errors.js';
import { executionBounds } from '../perform.js';
import { describeError, failIfJobFailed, RunRecordImpl, toRecord, type ExecutionRecord, type RunOptions, type RunRecord } from '../scenario.js';
import { NoAwaitPointError, TooFewRacersError } from './errors.js';
import { pctPolicy, prefixPolicy, replayPolicy } from './policies.js';
import { Glitch } from '../../probe/index.js';
import { describeStop, makeSchedule, RACE_FAULTS, scheduleName, shortPoint, timeline, validateSchedule, type Schedule, type ScheduleFault, type TimelineEntry } from './schedule.js';
import { DEFAULT_BLOCKED_AFTER_MS, runRaceSchedule, type Decision, type Policy } from './scheduler.js';

/** Default bound on preemptions per schedule. */
export const DEFAULT_PREEMPTIONS = 2;
/** Default cap on systematically explored schedules. */
export const DEFAULT_SCHEDULES = 200;
/** Default number of PCT-sampled schedules once the cap cut the exploration short. */
export const DEFAULT_SAMPLES = 50;

/** Options every race run takes. */
export interface RaceRunOptions extends RunOptions {
  /** Enqueues the racing jobs (two or more due now), as the application would. */
  start: () => unknown;
  /** Restores application state before the run (the queue is cleared by the harness). */
  reset?: () => unknown;
  /**
   * Real ms a running execution may make no progress while others are
   * parked before it counts as blocked (on a lock a parked one holds), so a
   * parked one goes on instead (default 2,000: above the commit latency of a
   * loaded database, which must not pass for blocking).
   */
  blockedAfterMs?: number;
}

/** Options of {@link runRace}. */
export interface RunRaceOptions extends RaceRunOptions {
  /** The schedule to replay, as a {@link RaceReport} lists it (plain JSON is fine). */
  schedule: Schedule;
}

/** Options of {@link simulateRaces}. */
export interface SimulateRacesOptions extends RaceRunOptions {
  /** Asserts the outcome after every schedule; throwing fails that schedule. */
  check(run: RaceRun): unknown;
  /** Runs once before the first schedule. */
  setup?: () => unknown;
  /** Runs once after the last schedule (also when exploring rejects). */
  teardown?: () => unknown;
  /** At most this many preemptions (switches away from an execution that could go on) per schedule (default 2). */
  preemptions?: number;
  /** Cap on the schedules explored systematically (default 200). */
  schedules?: number;
  /** How many more schedules PCT samples when the cap cut the exploration short (default 50; 0: none). */
  samples?: number;
  /** Seed of the PCT sample (default 0): the same seed samples the same schedules. */
  seed?: number;
  /**
   * Combines the races with faults at their switch points: for each explored
   * schedule, each point where it switched away from an execution (the first
   * time that execution parked there) and each fault, one more schedule where
   * that execution glitches at the point's line instead — `'transient'` (it
   * throws TransientError; the queue retries) or `'crash'` (the worker dies
   * there) — the choices before it kept. Duplicates run once; at most
   * `schedules` of them. The schedule JSON carries the fault (`runRace`
   * replays it). Default none.
   */
  faults?: readonly ScheduleFault['fault'][];
}

/** One race run: its executions and the schedule it ran. */
export interface RaceRun extends RunRecord {
  readonly schedule: Schedule;
  /** Which execution ran from where to where, in order. */
  readonly timeline: readonly TimelineEntry[];
  /** Preemptions the schedule made. */
  readonly preemptions: number;
}

/** The outcome of one schedule of {@link simulateRaces}. */
export interface RaceResult {
  /** The schedule's readable name (`signup#a at signup.ts:17 → signup#b to the end → signup#a to the end`). */
  readonly name: string;
  /** Plain JSON: pass it to `runRace` to replay this schedule. */
  readonly schedule: Schedule;
  readonly passed: boolean;
  /** Why it failed: `check`'s error, JobFailedError, LeftoverWorkError, … */
  readonly error?: unknown;
  readonly preemptions: number;
  /** How it was found. */
  readonly source: 'explored' | 'sampled';
  /** The run (absent when it failed before any schedule was recorded). */
  readonly run?: RaceRun;
}

/** What {@link simulateRaces} returns. */
export interface RaceReport {
  /** Every schedule run, in the order run. */
  readonly schedules: readonly RaceResult[];
  readonly passed: number;
  readonly failed: number;
  /** True when every schedule within the preemption bound was run (the cap did not cut it short). */
  readonly complete: boolean;
  readonly preemptions: number;
  /** Each failing schedule as a timeline, why it failed, and how to replay it. */
  toString(): string;
}

/** A race run's record. @internal */
class RaceRunImpl extends RunRecordImpl implements RaceRun {
  readonly timeline: readonly TimelineEntry[];
  constructor(
    name: string,
    performed: readonly ExecutionRecord[],
    errors: readonly unknown[],
    readonly schedule: Schedule,
    readonly preemptions: number,
  ) {
    super(name, performed, errors);
    this.timeline = timeline(schedule);
  }

  override toString(): string {
    return [`Race ${this.name}`, ...timelineLines(this.timeline), ...super.toString().split('\n').slice(1)].join('\n');
  }
}

/** One schedule run, whatever its verdict. */
interface Attempt {
  readonly run?: RaceRunImpl;
  readonly decisions: readonly Decision[];
  readonly reachedAwait: boolean;
  readonly error?: unknown;
}

/**
 * Replays one schedule exactly: clears the queue, runs `reset` and `start`,
 * then runs the jobs making the schedule's choices.
 *
 * @throws StaleScheduleError when the schedule does not fit the code (recorded against other code).
 * @throws TooFewRacersError when `start` enqueued fewer than two jobs due now.
 * @throws JobFailedError, LeftoverWorkError, ExecutionTimeoutError like `runScenario` (with `error.run`).
 */
export async function runRace(driver: JobDriver, options: RunRaceOptions): Promise<RaceRun> {
  validateRunOptions(options);
  const schedule = validateSchedule(options.schedule);
  installVirtualClock();
  const attempt = await attemptRace(driver, options, replayPolicy(schedule), schedule.fault);
  if (attempt.error !== undefined) throw attempt.error;
  return attempt.run!;
}

/**
 * Explores the interleavings of the jobs `start` enqueues at their await
 * points (see the module comment) and checks each. A failing schedule never
 * stops the exploration. The same code and seed give the same schedules, in
 * the same order, with the same verdicts.
 *
 * @throws TooFewRacersError when `start` enqueues fewer than two jobs due now.
 * @throws NoAwaitPointError when no racing job reaches an await point (not instrumented?).
 * @throws InvalidOptionError for malformed options.
 */
export async function simulateRaces(driver: JobDriver, options: SimulateRacesOptions): Promise<RaceReport> {
  const explorer = await prepareRaces(driver, options);
  await options.setup?.();
  try {
    const results: RaceResult[] = [];
    for (let next = await explorer.next(); next !== undefined; next = await explorer.next()) results.push(next);
    return createRaceReport(results, explorer.complete(), explorer.preemptions);
  } finally {
    await options.teardown?.();
  }
}

/** An exploration in progress: schedules one at a time (`faultline/vitest` registers each as a test). @internal */
export interface RaceExplorer {
  readonly preemptions: number;
  /** Runs the next schedule, or resolves undefined when done. */
  next(): Promise<RaceResult | undefined>;
  /** Whether the bounded space was exhausted. */
  complete(): boolean;
  /** Replays one schedule with the exploration's isolation and check (a test of `describeRaces`). */
  replay(schedule: Schedule): Promise<RaceResult>;
}

/** @internal shared with `faultline/vitest`. */
export async function prepareRaces(driver: JobDriver, options: SimulateRacesOptions): Promise<RaceExplorer> {
  validateRunOptions(options);
  const { check } = options;
  if (typeof check !== 'function') throw new InvalidOptionError('check', check, 'a function that asserts the outcome');
  for (const hook of ['setup', 'teardown'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function') throw new InvalidOptionError(hook, options[hook], 'a function');
  }
  const bound = count(options.preemptions, 'preemptions', DEFAULT_PREEMPTIONS, 0);
  const cap = count(options.schedules, 'schedules', DEFAULT_SCHEDULES, 1);
  const samples = count(options.samples, 'samples', DEFAULT_SAMPLES, 0);
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new InvalidOptionError('seed', options.seed, 'an integer');
  const faults = raceFaults(options.faults);
  const seed = options.seed ?? 0;
  installVirtualClock();
  // Every schedule starts at this virtual time, so runs are repeatable and comparable.
  const startTime = clockNowMs();

  /** Prefixes still to explore, by preemption count; each bucket first in, first out. */
  const buckets: string[][][] = [[[]]];
  let explored = 0;
  let sampled = 0;
  let sampleAttempts = 0;
  let longest = 1;
  const seen = new Set<string>();
  /** Fault variants still to run, in the order found; `variantKeys` every one queued. */
  const variants: { prefix: string[]; fault: ScheduleFault }[] = [];
  const variantKeys = new Set<string>();
  let varied = 0;

  const judge = async (policy: Policy, source: RaceResult['source'], fault?: ScheduleFault): Promise<{ result: RaceResult; attempt: Attempt }> => {
    setVirtualTime(startTime);
    const attempt = await attemptRace(driver, options, policy, fault);
    const run = attempt.run;
    const schedule = run?.schedule ?? makeSchedule(attempt.decisions, fault);
    const base = { name: scheduleName(schedule), schedule, preemptions: preemptionsOf(attempt.decisions), source, ...(run ? { run } : {}) };
    if (attempt.error !== undefined) return { result: { ...base, passed: false, error: attempt.error }, attempt };
    try {
      await check(run!);
      return { result: { ...base, passed: true }, attempt };
    } catch (error) {
      return { result: { ...base, passed: false, error }, attempt };
    }
  };

  const nextPrefix = (): string[] | undefined => {
    for (const bucket of buckets) if (bucket !== undefined && bucket.length > 0) return bucket.shift();
    return undefined;
  };
  const hasWork = () => buckets.some((bucket) => bucket !== undefined && bucket.length > 0);

  return {
    preemptions: bound,
    complete: () => !hasWork() && variants.length === 0,
    async next() {
      if (explored < cap) {
        const prefix = nextPrefix();
        if (prefix !== undefined) {
          const { result, attempt } = await judge(prefixPolicy(prefix), 'explored');
          if (explored === 0) firstRunChecks(attempt);
          explored++;
          seen.add(JSON.stringify(result.schedule.steps));
          longest = Math.max(longest, attempt.decisions.length);
          branch(attempt.decisions, prefix.length, bound, buckets);
          for (const point of switchPoints(attempt.decisions)) {
            for (const fault of faults) {
              const key = JSON.stringify([point.prefix, point.run, point.at, fault]);
              if (variantKeys.has(key)) continue;
              variantKeys.add(key);
              variants.push({ prefix: point.prefix, fault: { fault, run: point.run, at: point.at } });
            }
          }
          return result;
        }
      }
      if (varied < cap) {
        const variant = variants.shift();
        if (variant !== undefined) {
          varied++;
          return (await judge(prefixPolicy(variant.prefix), 'explored', variant.fault)).result;
        }
      }
      // The cap cut the bounded space short: sample past it, distinct schedules only.
      while (hasWork() && sampled < samples && sampleAttempts < samples * 4) {
        sampleAttempts++;
        const { result } = await judge(pctPolicy(seed + sampleAttempts, bound + 1, longest), 'sampled');
        const key = JSON.stringify(result.schedule.steps);
        if (seen.has(key)) continue;
        seen.add(key);
        sampled++;
        return result;
      }
      return undefined;
    },
    async replay(schedule) {
      return (await judge(replayPolicy(schedule), 'explored', schedule.fault)).result;
    },
  };
}

/**
 * Adds to `buckets` every sibling of the decisions past the prefix: a
 * different parked execution chosen there, with the preemptions it takes,
 * when within the bound. (Each schedule is the child of exactly one run, so
 * none is explored twice.)
 */
function branch(decisions: readonly Decision[], from: number, bound: number, buckets: string[][][]): void {
  let preemptions = 0;
  for (let i = 0; i < decisions.length; i++) {
    const decision = decisions[i]!;
    if (i >= from) {
      for (const alternative of decision.enabled) {
        if (alternative === decision.run) continue;
        const cost = preemptions + (decision.current !== undefined && alternative !== decision.current ? 1 : 0);
        if (cost > bound) continue;
        (buckets[cost] ??= []).push([...decisions.slice(0, i).map((d) => d.run), alternative]);
      }
    }
    if (decision.preempted) preemptions++;
  }
}

/**
 * Where a run switched away from an execution parked at an await point for
 * the first time: the choices up to and including the one that let it go on
 * to that point, the execution, and the point.
 */
function switchPoints(decisions: readonly Decision[]): { prefix: string[]; run: string; at: string }[] {
  const points: { prefix: string[]; run: string; at: string }[] = [];
  const parks = new Map<string, number>();
  decisions.forEach(({ run, at }) => parks.set(`${run} ${at}`, (parks.get(`${run} ${at}`) ?? 0) + 1));
  for (let i = 0; i + 1 < decisions.length; i++) {
    const { run } = decisions[i]!;
    let next = i + 1;
    while (next < decisions.length && decisions[next]!.run !== run) next++;
    // It ran to its end, went on without a switch, or blocked instead of parking: no switch point.
    if (next === decisions.length || next === i + 1 || decisions[i + 1]!.blocked.includes(run)) continue;
    const at = decisions[next]!.at;
    // The glitch fires the first time the execution reaches the line: only a point it parks at once is that switch.
    if (parks.get(`${run} ${at}`) !== 1) continue;
    points.push({ prefix: decisions.slice(0, i + 1).map((decision) => decision.run), run, at });
  }
  return points;
}

/** The `faults` option, checked. */
function raceFaults(faults: unknown): readonly ScheduleFault['fault'][] {
  if (faults === undefined) return [];
  if (!Array.isArray(faults) || faults.some((fault) => !RACE_FAULTS.includes(fault)) || new Set(faults).size !== faults.length) {
    throw new InvalidOptionError('faults', faults, `distinct faults of ${RACE_FAULTS.map((f) => `'${f}'`).join(', ')} (races combine with these at their switch points)`);
  }
  return faults;
}

/** The glitch of a fault at a switch point: at the await's line, before it runs. */
function glitchOf(fault: ScheduleFault): Glitch {
  const glitch = Glitch.beforeLine(fault.at);
  return fault.fault === 'crash' ? glitch.crash() : glitch;
}

/** The first schedule proves the setup can race at all. */
function firstRunChecks(attempt: Attempt): void {
  if (attempt.error instanceof TooFewRacersError) throw attempt.error;
  if (attempt.error === undefined && !attempt.reachedAwait) {
    throw new NoAwaitPointError([...new Set(attempt.decisions.map((decision) => decision.run))]);
  }
}

/** Clears the queue, resets, starts and runs one race under `policy`, applying the trust rules. Never rejects but for setup errors. */
async function attemptRace(driver: JobDriver, options: RaceRunOptions, policy: Policy, fault?: ScheduleFault): Promise<Attempt> {
  await driver.clear();
  await options.reset?.();
  await options.start();
  const now = clockNowMs();
  const due = (await driver.pending()).filter((job) => job.dueAt.getTime() <= now).length;
  if (due < 2) return { decisions: [], reachedAwait: false, error: new TooFewRacersError(due) };
  const performed: ExecutionRecord[] = [];
  const errors: unknown[] = [];
  const bounds = executionBounds(options);
  const { decisions, reachedAwait, failure } = await runRaceSchedule(driver, policy, {
    bounds,
    blockedAfterMs: options.blockedAfterMs ?? DEFAULT_BLOCKED_AFTER_MS,
    ...(fault ? { fault: { run: fault.run, glitch: glitchOf(fault) } } : {}),
    onExecution: (execution) => {
      const record = toRecord(execution);
      performed.push(record);
      if (record.outcome === 'failed') errors.push(record.error);
    },
  });
  const schedule = makeSchedule(decisions, fault);
  const run = new RaceRunImpl(scheduleName(schedule), performed, failure ? [...errors, failure.error] : errors, schedule, preemptionsOf(decisions));
  if (failure) {
    if (failure.error instanceof RunFailedError) attachRun(failure.error, run);
    return { run, decisions, reachedAwait, error: failure.error };
  }
  try {
    failIfJobFailed(run, options);
  } catch (error) {
    return { run, decisions, reachedAwait, error };
  }
  return { run, decisions, reachedAwait };
}

function attachRun(error: RunFailedError, run: RunRecord): void {
  if (error.run === undefined) Object.defineProperty(error, 'run', { value: run, configurable: true });
}

function preemptionsOf(decisions: readonly Decision[]): number {
  return decisions.filter((decision) => decision.preempted).length;
}

function validateRunOptions(options: RaceRunOptions): void {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', options, '{ start, … }');
  if (typeof options.start !== 'function') throw new InvalidOptionError('start', options.start, 'a function that enqueues the racing jobs');
  if (options.reset !== undefined && typeof options.reset !== 'function') throw new InvalidOptionError('reset', options.reset, 'a function');
  if (options.blockedAfterMs !== undefined && !(typeof options.blockedAfterMs === 'number' && options.blockedAfterMs > 0 && Number.isFinite(options.blockedAfterMs))) {
    throw new InvalidOptionError('blockedAfterMs', options.blockedAfterMs, 'a positive number of milliseconds (real time)');
  }
  if (options.allowFailedJobs !== undefined && typeof options.allowFailedJobs !== 'boolean') {
    throw new InvalidOptionError('allowFailedJobs', options.allowFailedJobs, 'a boolean');
  }
  executionBounds(options);
}

function count(value: number | undefined, option: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new InvalidOptionError(option, value, min === 0 ? 'a non-negative integer' : 'a positive integer');
  return value;
}

/** Builds the report of a list of results. @internal */
export function createRaceReport(schedules: RaceResult[], complete: boolean, preemptions: number): RaceReport {
  const passed = schedules.filter((result) => result.passed).length;
  const report: RaceReport = { schedules, passed, failed: schedules.length - passed, complete, preemptions, toString: () => formatRaceReport(report) };
  Object.defineProperty(report, inspect.custom, { value: () => formatRaceReport(report) });
  return report;
}

function formatRaceReport(report: RaceReport): string {
  const sampled = report.schedules.filter((result) => result.source === 'sampled').length;
  const scope = report.complete
    ? `every schedule with at most ${report.preemptions} preemption${report.preemptions === 1 ? '' : 's'}`
    : `capped below every schedule with at most ${report.preemptions} preemptions${sampled > 0 ? `, ${sampled} of them sampled` : ''}`;
  const lines = [`Races: ${report.schedules.length} schedule${report.schedules.length === 1 ? '' : 's'} (${scope}), ${report.passed} passed, ${report.failed} failed`];
  for (const [index, result] of report.schedules.entries()) {
    if (result.passed) continue;
    lines.push(`  ✗ ${result.name}`);
    lines.push(`      why: ${describeError(result.error).replaceAll('\n', '\n        ')}`);
    if (result.run) {
      lines.push('      timeline:', ...timelineLines(result.run.timeline).map((line) => `      ${line}`));
      const [, ...executions] = RunRecordImpl.prototype.toString.call(result.run).split('\n');
      if (executions.length > 0) lines.push('      executions:', ...executions.map((line) => `      ${line}`));
    }
    lines.push(`      replay: runRace(driver, { start, schedule: report.schedules[${index}].schedule }) (${result.schedule.steps.length} steps of plain JSON)`);
  }
  return lines.join('\n');
}

/** `  1. signup#a: start → signup.ts:12` per stretch. */
function timelineLines(entries: readonly TimelineEntry[]): string[] {
  return entries.map((entry, index) => `  ${index + 1}. ${entry.run}: ${entry.from === 'start' ? 'start' : shortPoint(entry.from)} → ${entry.to === undefined ? 'end' : `${entry.blocked ? 'blocked after ' : ''}${describeStop(entry)}`}`);
}
