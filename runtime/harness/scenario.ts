/**
 * Scenarios: one run of a job under one armed glitch, in production order,
 * and the record of what happened, printed well in failure messages.
 */
import { inspect } from 'node:util';
import { CrashOutsideJobError, firingOutcome, Glitch, GlitchNotExecutedError, withGlitch } from '../probe/index.js';
import type { JobDriver } from './driver.js';
import { GlitchRunError, InvalidOptionError, JobFailedError, NothingEnqueuedError, RunFailedError } from './harness-errors.js';
import { performAllJobs, type Execution, type PerformOptions } from './perform.js';

/** One job execution in a run. */
export interface ExecutionRecord {
  readonly id: string;
  readonly name: string;
  readonly data: unknown;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** Virtual time it ran at. */
  readonly ranAt: Date;
  /** `crashed`: its worker died there (a `crash` glitch), so it neither completed nor failed. */
  readonly outcome: 'completed' | 'failed' | 'crashed';
  /** The error, for a failed execution. */
  readonly error?: unknown;
  /** When its retry is due, for a failed execution that will be retried; when the queue re-delivers a crashed one. */
  readonly retryAt?: Date;
}

/** What one run (a scenario, or a simulation's clean run) did. */
export interface RunRecord {
  /** `"before-line fixtures/jobs/transfer.ts:14"`, or `"clean run"`. */
  readonly name: string;
  /** Executions in order (each retry is one). */
  readonly performed: readonly ExecutionRecord[];
  /** Errors in order: `start`'s (only the glitch's own), then each failed execution's. */
  readonly errors: readonly unknown[];
  /** How many executions ran. */
  readonly executions: number;
  /** A multi-line account of the run, for failure messages. */
  toString(): string;
}

/** A run under an armed glitch. */
export interface Scenario extends RunRecord {
  readonly glitch: Glitch;
}

/** A simulation's clean run: no glitch armed. */
export interface CleanRun extends RunRecord {
  readonly glitch: undefined;
}

/** Options every run (a scenario, a simulation's clean run) takes. */
export interface RunOptions {
  /** Bound on executions (default 10,000), against jobs that loop forever. */
  maxExecutions?: number;
  /** Real ms to wait for work an execution left running before failing with LeftoverWorkError (default 5,000). */
  settleTimeoutMs?: number;
  /** Real ms one execution may run before failing with ExecutionTimeoutError (default 30,000). */
  maxExecutionMs?: number;
  /**
   * Let a job end failed for good (attempts exhausted, or a permanent error)
   * without failing the run: for jobs whose expected outcome is a failure.
   * Default false: such a job fails the run with JobFailedError.
   */
  allowFailedJobs?: boolean;
}

/** Options of {@link runScenario}. */
export interface ScenarioOptions extends RunOptions {
  /** Where to inject the transient failure. */
  glitch: Glitch;
  /** Enqueues the job(s) under test, as the application would. */
  start: () => unknown;
}

/**
 * Runs one scenario: arms `glitch` for this run's async context only, calls
 * `start`, then performs every job in production order (the glitch's
 * `TransientError` is retried 1 s later, up to 10 attempts), each
 * execution's leftover work settled before the next. A glitch that fires
 * inside `start` itself is recorded as an error of the run; any other error
 * from `start` rejects.
 *
 * @throws GlitchNotExecutedError when the glitch never fired (`CrashOutsideJobError`, a subclass, for a crash whose point ran only outside job executions).
 * @throws GlitchRunError when the glitch's `run` function threw or rejected.
 * @throws NothingEnqueuedError when `start` enqueued nothing.
 * @throws JobFailedError when a job ended failed and will not be retried (unless `allowFailedJobs`).
 * @throws LeftoverWorkError, ExecutionTimeoutError (see `performAllJobs`).
 *   All but NothingEnqueuedError carry the run so far as `error.run`.
 */
export async function runScenario(driver: JobDriver, options: ScenarioOptions): Promise<Scenario> {
  const { glitch, start } = options;
  if (!(glitch instanceof Glitch)) throw new InvalidOptionError('glitch', glitch, 'a Glitch (Glitch.beforeLine(key), …)');
  if (typeof start !== 'function') throw new InvalidOptionError('start', start, 'a function that enqueues the job under test');
  const run = await recordRun(driver, glitch.toString(), start, options, (body) => withGlitch(glitch, body), glitch);
  const fired = firingOutcome(glitch);
  if (!glitch.executed) {
    const error = fired && 'onlyOutsideJobs' in fired ? new CrashOutsideJobError(glitch) : new GlitchNotExecutedError(glitch);
    attachRun(error, run);
    throw error;
  }
  if (fired && 'runFailed' in fired) {
    const error = new GlitchRunError(glitch, fired.runFailed);
    attachRun(error, run);
    throw error;
  }
  failIfJobFailed(run, options);
  return run as Scenario;
}

/**
 * Runs `start` and all jobs inside `wrap` (a glitch's or a trace's async
 * context) and records the run. Shared by scenarios and clean runs. A
 * {@link RunFailedError} of the perform loop rejects with the run so far
 * attached as `error.run`.
 *
 * @internal
 */
export async function recordRun(
  driver: JobDriver,
  name: string,
  start: () => unknown,
  options: RunOptions,
  wrap: (body: () => Promise<void>) => Promise<unknown>,
  glitch?: Glitch,
): Promise<RunRecordImpl> {
  const performed: ExecutionRecord[] = [];
  const errors: unknown[] = [];
  const perform: PerformOptions = {
    ...(options.maxExecutions !== undefined ? { maxExecutions: options.maxExecutions } : {}),
    ...(options.settleTimeoutMs !== undefined ? { settleTimeoutMs: options.settleTimeoutMs } : {}),
    ...(options.maxExecutionMs !== undefined ? { maxExecutionMs: options.maxExecutionMs } : {}),
    onExecution: (execution) => {
      const record = toRecord(execution);
      performed.push(record);
      if (record.outcome === 'failed') errors.push(record.error);
    },
  };
  try {
    await wrap(async () => {
      try {
        await start();
      } catch (error) {
        // The armed glitch may fire in code start() calls: that is a failure of this scenario's run, not of the setup.
        const fired = glitch && firingOutcome(glitch);
        if (!(fired && 'threw' in fired && fired.threw === error)) throw error;
        errors.push(error);
      }
      if (errors.length === 0 && (await driver.pending()).length === 0) throw new NothingEnqueuedError(name);
      await performAllJobs(driver, perform);
    });
  } catch (error) {
    if (error instanceof RunFailedError) {
      errors.push(error);
      attachRun(error, new RunRecordImpl(name, performed, errors, glitch));
    }
    throw error;
  }
  return new RunRecordImpl(name, performed, errors, glitch);
}

/**
 * Throws {@link JobFailedError} (with the run attached) for the first job of
 * `run` whose last execution failed and was not retried, unless the options
 * allow failed jobs.
 *
 * @internal shared with simulations' clean runs.
 */
export function failIfJobFailed(run: RunRecordImpl, options: RunOptions): void {
  if (options.allowFailedJobs === true) return;
  const dead = run.performed.find((p) => p.outcome === 'failed' && p.retryAt === undefined);
  if (!dead) return;
  const error = new JobFailedError(dead.id, dead.name, dead.attempt, dead.error);
  attachRun(error, run);
  throw error;
}

function attachRun(error: Error, run: RunRecord): void {
  // Not enumerable: test runners would print the whole record again under the message.
  Object.defineProperty(error, 'run', { value: run, configurable: true });
}

/** The record of one execution the perform loop (or the race scheduler) reports. @internal */
export function toRecord({ job, ranAt, outcome }: Execution): ExecutionRecord {
  const base = { id: job.id, name: job.name, data: job.data, attempt: job.attempt, ranAt };
  if (outcome.status === 'completed') return { ...base, outcome: 'completed' };
  if (outcome.status === 'crashed') return { ...base, outcome: 'crashed', ...(outcome.retryAt ? { retryAt: outcome.retryAt } : {}) };
  return { ...base, outcome: 'failed', error: outcome.error, ...(outcome.retryAt ? { retryAt: outcome.retryAt } : {}) };
}

/** The run record behind {@link Scenario} and {@link CleanRun}. @internal */
export class RunRecordImpl implements RunRecord {
  constructor(
    readonly name: string,
    readonly performed: readonly ExecutionRecord[],
    readonly errors: readonly unknown[],
    readonly glitch?: Glitch,
  ) {}

  get executions(): number {
    return this.performed.length;
  }

  toString(): string {
    const head = this.glitch
      ? `Scenario ${this.name} (glitch ${this.glitch.executed ? 'fired' : 'never fired'})`
      : `Run ${this.name}`;
    const lines = [`${head}: ${this.executions} execution${this.executions === 1 ? '' : 's'}`];
    const t0 = this.performed[0]?.ranAt.getTime() ?? 0;
    for (const [index, p] of this.performed.entries()) {
      const when = index === 0 ? `at ${p.ranAt.toISOString()}` : `at +${formatOffset(p.ranAt.getTime() - t0)}`;
      let line = `  ${index + 1}. ${p.name}#${p.id} attempt ${p.attempt} ${when}: ${p.outcome}`;
      if (p.outcome === 'failed') {
        line += ` (${describeError(p.error)})`;
        line += p.retryAt ? `, retry at +${formatOffset(p.retryAt.getTime() - t0)}` : ', not retried';
      } else if (p.outcome === 'crashed') {
        line += p.retryAt ? ` (worker died; stalled job re-delivered at +${formatOffset(p.retryAt.getTime() - t0)})` : ' (worker died)';
      }
      lines.push(line);
    }
    return lines.join('\n');
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** `"TransientError: message"` for errors, an inspection for anything else thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `thrown ${inspect(error, { depth: 2, breakLength: Infinity })}`;
}

function formatOffset(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(3)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(3)}m`;
  if (ms < 86_400_000) return `${+(ms / 3_600_000).toFixed(3)}h`;
  return `${+(ms / 86_400_000).toFixed(3)}d`;
}
