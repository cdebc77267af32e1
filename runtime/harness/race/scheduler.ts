/**
 * The race scheduler: runs the jobs due now concurrently, one stretch at a
 * time, each job execution in its own execution context (execution.ts:
 * its own AsyncLocalStorage context, leftover work, bounds). An execution
 * parks before its first line and at every await point it reaches (the
 * `w` probe calls {@link Racer.park}); once every live execution is parked or
 * finished, a {@link Policy} picks which one goes on, and the scheduler
 * records the choice. So only one execution runs at a time, and a run is
 * fully described by its choices (its {@link Schedule}).
 *
 * - **Quiescence.** "Parked" is seen one turn of the event loop after the
 *   last park, so work of the released execution still in the microtask
 *   queue parks or ends first. An execution waiting on real I/O (a query in
 *   flight) is neither parked nor finished: the scheduler waits for it.
 * - **Blocked executions.** An execution that makes no progress for
 *   `blockedAfterMs` of real time (default {@link DEFAULT_BLOCKED_AFTER_MS})
 *   while others are parked — typically waiting on a lock a parked one holds
 *   (a row lock, a mutex, a workflow lease) — is treated as blocked: the
 *   scheduler picks among the parked ones, and the blocked one runs again
 *   whenever what it waits for gives. It cannot be chosen while blocked.
 *   (Real I/O slower than the bound is mistaken for blocking, which changes
 *   the choices offered; raise `blockedAfterMs` for slow databases.)
 * - **Time and order.** Jobs due now race; jobs a racer enqueues due now join
 *   the race (parked at `start`); delayed jobs and retries wait until every
 *   racer has finished, then the virtual clock jumps to the earliest and
 *   those due then race in turn, in production order.
 * - **Limitation.** An execution counts as parked as soon as one of its
 *   awaits is; work of the same execution going on beside it (a
 *   `Promise.all` over real I/O) may still run after the switch.
 */
import { setImmediate, setTimeout, clearTimeout } from 'node:timers';
import { advanceClockTo, clockNowMs } from '../clock.js';
import type { JobDriver, JobOutcome, PendingJob } from '../driver.js';
import { performExecution, type ExecutionBounds } from '../execution.js';
import { transientRetry, type Execution } from '../perform.js';
import { runtimeState, siteInfo, withGlitch, type Glitch, type RaceGate, type ScopeContext } from '../../probe/index.js';
import { START } from './schedule.js';

/** Default real ms an execution may make no progress, while others are parked, before it counts as blocked. */
export const DEFAULT_BLOCKED_AFTER_MS = 2_000;

/** What a policy sees at one decision. */
export interface DecisionPoint {
  /** 0-based index of the decision in the run. */
  readonly index: number;
  /** The parked executions, in the order they joined the race. */
  readonly enabled: readonly Racer[];
  /** The execution released last, when it is parked again (so could go on): choosing another preempts it. */
  readonly current: Racer | undefined;
}

/** Picks which parked execution goes on. */
export interface Policy {
  choose(point: DecisionPoint): Racer;
}

/** One decision as made. */
export interface Decision {
  readonly run: string;
  readonly at: string;
  /** Labels of the executions that were parked, in join order. */
  readonly enabled: readonly string[];
  /** Label of the execution that could have gone on, if any. */
  readonly current: string | undefined;
  /** Whether this decision switched away from `current`. */
  readonly preempted: boolean;
  /** Labels of the live executions that were neither parked nor ended: blocked (see the module comment). */
  readonly blocked: readonly string[];
}

/** A parked await (or the start gate): released when the scheduler lets its execution go on. */
interface Waiter {
  /** Site id of the await point, or -1 for the start gate. */
  readonly site: number;
  readonly release: () => void;
}

/** One racing job execution. */
export class Racer implements RaceGate {
  /** Parked awaits (the start gate first of all); empty while it runs. */
  waiters: Waiter[] = [];
  done = false;

  constructor(
    private readonly race: RaceScheduler,
    /** `"signup#a"`, `"signup#a@2"` for a retry: unique within the run (see {@link RaceScheduler.labelOf}). */
    readonly label: string,
    readonly job: PendingJob,
  ) {}

  /** Where it is parked: `start`, or the `file:line` of its (first) parked await. */
  get at(): string {
    const site = this.waiters[0]?.site ?? -1;
    return site < 0 ? START : pointKey(site);
  }

  /** {@inheritDoc RaceGate.park} */
  park<T>(id: number, value: T): T | Promise<Awaited<T>> {
    if (this.race.over || this.done) return value;
    // Adopted at once, as `await` adopts its operand (one read of `constructor` or `then`, nothing more), and
    // handled, so a rejection while parked is not reported as unhandled: the await sees it when released.
    const settled = Promise.resolve(value);
    settled.catch(() => {});
    const gate = new Promise<void>((release) => {
      this.waiters.push({ site: id, release });
    });
    this.race.changed();
    return gate.then(() => settled);
  }
}

/** Options of one race run. */
export interface RaceRunOptions {
  readonly bounds: ExecutionBounds;
  readonly blockedAfterMs: number;
  /** Called after each execution ends, in the order they end. */
  readonly onExecution: (execution: Execution) => void;
  /** A glitch armed in the execution labelled `run` only (a fault at a switch point); not in its retries. */
  readonly fault?: { readonly run: string; readonly glitch: Glitch };
}

/** What one race run did. */
export interface RaceRunResult {
  /** Every decision made, up to the failure if one stopped the run. */
  readonly decisions: readonly Decision[];
  /** Whether any execution parked at an await point. */
  readonly reachedAwait: boolean;
  /**
   * The first error of an execution itself (LeftoverWorkError,
   * ExecutionTimeoutError) or of the policy (a stale schedule): the run
   * stopped choosing, and every execution was let run free to its end.
   */
  readonly failure?: { readonly error: unknown };
}

/** Runs every job of `driver` due now, and what they lead to, under `policy`. Resolves once every execution has ended. */
export async function runRaceSchedule(driver: JobDriver, policy: Policy, options: RaceRunOptions): Promise<RaceRunResult> {
  const scheduler = new RaceScheduler(driver, policy, options);
  return scheduler.run();
}

/** One race run's state. @internal */
class RaceScheduler {
  readonly racers: Racer[] = [];
  readonly decisions: Decision[] = [];
  /** Set once the run is over or aborting: parks return their value at once. */
  over = false;
  private readonly admitted = new Set<string>();
  private readonly labels = new Set<string>();
  /** Driver job id → its label without the attempt; job name → how many of its jobs were labelled. */
  private readonly bases = new Map<string, string>();
  private readonly ranks = new Map<string, number>();
  private version = 0;
  private wake: (() => void) | undefined;
  private failure: { error: unknown } | undefined;
  private reachedAwait = false;
  private last: Racer | undefined;

  constructor(
    private readonly driver: JobDriver,
    private readonly policy: Policy,
    private readonly options: RaceRunOptions,
  ) {}

  /** Something parked or ended. */
  changed(): void {
    this.version++;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async run(): Promise<RaceRunResult> {
    try {
      for (;;) {
        await this.quiesce();
        await this.admitDueJobs();
        const enabled = this.racers.filter((racer) => racer.waiters.length > 0);
        if (enabled.length === 0) {
          if (this.racers.some((racer) => !racer.done)) {
            // Live executions, none parked (all waiting on I/O): their own bound ends them if nothing comes.
            await this.nextChange(undefined);
            continue;
          }
          if (!(await this.advanceToNextDue())) break;
          continue;
        }
        const current = this.last !== undefined && enabled.includes(this.last) ? this.last : undefined;
        const choice = this.policy.choose({ index: this.decisions.length, enabled, current });
        this.decisions.push({
          run: choice.label,
          at: choice.at,
          enabled: enabled.map((racer) => racer.label),
          current: current?.label,
          preempted: current !== undefined && choice !== current,
          blocked: this.racers.filter((racer) => !racer.done && racer.waiters.length === 0).map((racer) => racer.label),
        });
        if (choice.at !== START) this.reachedAwait = true;
        this.release(choice);
      }
    } catch (error) {
      this.failure ??= { error };
    }
    if (this.failure) await this.drain();
    this.over = true;
    return { decisions: this.decisions, reachedAwait: this.reachedAwait, ...(this.failure ? { failure: this.failure } : {}) };
  }

  /** Lets `racer` go on: releases its parked awaits (or starts it). */
  private release(racer: Racer): void {
    const waiters = racer.waiters;
    racer.waiters = [];
    this.last = racer;
    for (const waiter of waiters) waiter.release();
  }

  /** Waits until every live execution is parked or ended (blocked ones aside, see the module comment), one quiet turn included. */
  private async quiesce(): Promise<void> {
    let deadline = performance.now() + this.options.blockedAfterMs;
    for (;;) {
      const running = this.racers.some((racer) => !racer.done && racer.waiters.length === 0);
      if (!running) {
        const before = this.version;
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.version === before) return;
        continue;
      }
      const parked = this.racers.some((racer) => racer.waiters.length > 0);
      if (!parked) {
        await this.nextChange(undefined);
        deadline = performance.now() + this.options.blockedAfterMs;
        continue;
      }
      const left = deadline - performance.now();
      if (left <= 0) return;
      await this.nextChange(left);
    }
  }

  /** Resolves at the next park or end, or after `ms` (real time). */
  private nextChange(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => {
        if (this.wake === done) this.wake = undefined;
        resolve();
      }, ms);
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      this.wake = done;
    });
  }

  /** Every pending job due now that is not racing yet joins, parked at `start`, in production order. */
  private async admitDueJobs(): Promise<void> {
    const now = clockNowMs();
    const due = (await this.driver.pending()).filter((job) => job.dueAt.getTime() <= now && !this.admitted.has(jobKey(job)));
    due.sort(productionOrder);
    for (const job of due) this.admit(job);
  }

  private admit(job: PendingJob): void {
    this.admitted.add(jobKey(job));
    let label = this.labelOf(job);
    // A job id enqueued again after it ran: the same name, told apart by a count.
    for (let n = 2; this.labels.has(label); n++) label = `${label.replace(/~\d+$/, '')}~${n}`;
    this.labels.add(label);
    const racer = new Racer(this, label, job);
    racer.waiters.push({ site: -1, release: () => this.begin(racer) });
    this.racers.push(racer);
  }

  /**
   * `"signup#a"`: the job's name and its `jobId` when it was enqueued with
   * one, else its rank among the jobs of that name this run admitted
   * (`"signup#2"`), never the driver's own id, which may be random (pg-boss
   * makes UUIDs): so the same run gets the same labels, and a schedule replays
   * on any queue. A retry keeps its job's label, with its attempt (`"@2"`).
   */
  private labelOf(job: PendingJob): string {
    let base = this.bases.get(job.id);
    if (base === undefined) {
      const given = (job as { jobId?: unknown }).jobId;
      const rank = (this.ranks.get(job.name) ?? 0) + 1;
      this.ranks.set(job.name, rank);
      base = `${job.name}#${typeof given === 'string' ? given : rank}`;
      this.bases.set(job.id, base);
    }
    return job.attempt > 1 ? `${base}@${job.attempt}` : base;
  }

  /** Runs `racer`'s execution in its own context, the race's gate in it. */
  private begin(racer: Racer): void {
    const state = runtimeState;
    const parent = state.scope.getStore();
    const context: ScopeContext = { ...parent, traces: parent?.traces ?? [], glitches: parent?.glitches ?? [], race: racer };
    const ranAt = new Date(clockNowMs());
    const fault = this.options.fault?.run === racer.label ? this.options.fault.glitch : undefined;
    const perform = () => performExecution(this.driver, racer.job, transientRetry, this.options.bounds);
    state.scope
      .run(context, () => (fault ? withGlitch(fault, perform) : perform()))
      .then(
        (outcome: JobOutcome) => this.options.onExecution({ job: racer.job, ranAt, outcome }),
        (error: unknown) => {
          this.failure ??= { error };
        },
      )
      .finally(() => {
        racer.done = true;
        racer.waiters = [];
        this.changed();
      });
  }

  /** Jumps the clock to the earliest pending job not yet run; false when none is left. */
  private async advanceToNextDue(): Promise<boolean> {
    const pending = (await this.driver.pending()).filter((job) => !this.admitted.has(jobKey(job)));
    if (pending.length === 0) return false;
    pending.sort(productionOrder);
    advanceClockTo(pending[0]!.dueAt);
    return true;
  }

  /** After a failure: lets every execution run free to its end (parks no longer wait), then returns. */
  private async drain(): Promise<void> {
    this.over = true;
    for (;;) {
      for (const racer of this.racers) {
        // A racer never started is not started now: its job stays pending, and the harness clears the queue.
        if (racer.waiters[0]?.site === -1) {
          racer.waiters = [];
          racer.done = true;
        } else this.release(racer);
      }
      if (this.racers.every((racer) => racer.done)) return;
      await this.nextChange(undefined);
    }
  }
}

function jobKey(job: PendingJob): string {
  return `${job.id} ${job.seq}`;
}

function productionOrder(a: PendingJob, b: PendingJob): number {
  return a.dueAt.getTime() - b.dueAt.getTime() || a.seq - b.seq;
}

/** `"fixtures/jobs/signup.ts:17"` for an await site id. */
function pointKey(site: number): string {
  const info = siteInfo(runtimeState, site);
  return info ? `${info.file.path}:${info.line}` : `site ${site}`;
}
