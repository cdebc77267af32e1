/**
 * Simulations: one traced clean run, then one scenario per distinct traced
 * point, each isolated by `reset` and a cleared queue, each checked.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import { clockNowMs, installVirtualClock, setVirtualTime } from './clock.js';
import { mulberry32 } from './random.js';
import { DEFAULT_GLITCH_KINDS, factoryOf, GLITCH_KINDS, glitchKindOf } from '../../core/kinds.js';
import { Glitch, traceSites, type GlitchFault, type GlitchKind, type TracedSite } from '../probe/index.js';
import type { JobDriver } from './driver.js';
import { InvalidOptionError, NothingTracedError, RunFailedError } from './harness-errors.js';
import { describeError, failIfJobFailed, recordRun, runScenario, type CleanRun, type RunOptions, type RunRecordImpl, type Scenario } from './scenario.js';

/**
 * The faults a simulation can try at every point: those that need no
 * argument (`raise` and `run` take the user's error or function, so they are
 * for `runScenario` with a glitch of one's own).
 */
export const SIMULATED_FAULTS: readonly GlitchFault[] = ['transient', 'crash'];
/** The faults a simulation tries unless told otherwise. */
export const DEFAULT_FAULTS: readonly GlitchFault[] = ['transient'];

/** Options of {@link simulate}. */
export interface SimulateOptions extends RunOptions {
  /** Runs once, before the clean run (e.g. open a store or start a server). */
  setup?: () => unknown;
  /** Runs once, after the last scenario (`simulate`: also when it rejects). */
  teardown?: () => unknown;
  /** Enqueues the job(s) under test, as the application would. */
  start: () => unknown;
  /**
   * Asserts the outcome after all jobs ran; throwing fails the run. Called on
   * the clean run (`run.glitch` undefined) and on every scenario.
   */
  check(run: Scenario | CleanRun): unknown;
  /** Restores application state before the clean run and before each scenario (the queue is cleared by the harness). */
  reset?: () => unknown;
  /** Which glitch kinds to generate (default before-line, before-call, before-return). */
  kinds?: readonly GlitchKind[];
  /**
   * Which faults to try at every point, one scenario per point per fault
   * (default `['transient']`; `'crash'` kills the worker there).
   */
  faults?: readonly GlitchFault[];
  /** Run only this many scenarios, picked reproducibly with `seed`. */
  sample?: number;
  /** Seed of the sampling PRNG (default 0): the same seed picks the same scenarios. */
  seed?: number;
  /**
   * Told how far the simulation got: once with `done: 0` when the scenarios
   * are known, then after each scenario with its result (for progress bars).
   */
  onProgress?: (progress: SimulationProgress) => unknown;
}

/** What {@link SimulateOptions.onProgress} receives. */
export interface SimulationProgress {
  /** Scenarios finished so far. */
  readonly done: number;
  /** Scenarios this simulation runs. */
  readonly total: number;
  /** The scenario that just finished (absent for the first call). */
  readonly last?: ScenarioResult;
}

/** One place to glitch, found by the clean run's trace, with the fault to try there. */
export interface SimulationPoint {
  readonly kind: GlitchKind;
  /** What the scenario's glitch does there. */
  readonly fault: GlitchFault;
  /** Fully qualified key: `"fixtures/jobs/transfer.ts:14"` or `"fixtures/jobs/transfer.ts:transfer"`. */
  readonly key: string;
  /** `"before-line fixtures/jobs/transfer.ts:14"` (`"crash before-line …"` for a crash): the scenario's name. */
  readonly name: string;
  /** Relative path of the file. */
  readonly file: string;
  /** The line of the statement, function entry or return. */
  readonly line: number;
  /** The function key, for call and return points. */
  readonly fn?: string;
}

/** The outcome of one scenario of a simulation. */
export interface ScenarioResult {
  readonly glitch: Glitch;
  /** `"before-line fixtures/jobs/transfer.ts:14"`. */
  readonly name: string;
  readonly point: SimulationPoint;
  /** The glitch fired and `check` did not throw. */
  readonly passed: boolean;
  /** Why it failed: `check`'s error, `GlitchNotExecutedError`, or an error of the run itself. */
  readonly error?: unknown;
  /** The run, when it completed (absent when the run itself rejected). */
  readonly scenario?: Scenario;
}

/** The outcome of the clean (unglitched) run. */
export interface CleanResult {
  /** `check` did not throw on it. */
  readonly passed: boolean;
  readonly error?: unknown;
  readonly run: CleanRun;
  /** Every point it executed, `after` events included, in first-execution order. */
  readonly sites: readonly TracedSite[];
}

/** What {@link simulate} returns. */
export interface SimulationReport {
  /** One per scenario run, in trace order. */
  readonly scenarios: readonly ScenarioResult[];
  readonly passed: number;
  readonly failed: number;
  readonly clean: CleanResult;
  /** Every point of the chosen kinds, once per fault (more than `scenarios` when sampled). */
  readonly points: readonly SimulationPoint[];
  /** A summary listing each failing scenario and why. */
  toString(): string;
}

/** A simulation after its clean run, ready to run scenarios (used by `simulate` and `faultline/vitest`). */
export interface PreparedSimulation {
  readonly clean: CleanResult;
  /** Every point of the chosen kinds. */
  readonly points: readonly SimulationPoint[];
  /** The points to run as scenarios: all of them, or the seeded sample. */
  readonly selected: readonly SimulationPoint[];
  /** Runs the scenario of one point: clear, reset, arm, start, perform all jobs, check. Never rejects. */
  run(point: SimulationPoint): Promise<ScenarioResult>;
}

/**
 * Proves a job safe (or not) against a transient failure at every point it
 * executes. Runs `reset`, `start` and all jobs once under `trace` and checks
 * that clean run; then, for each distinct traced point of the chosen kinds
 * (or a seeded sample of them), clears the queue, runs `reset`, arms a glitch
 * there, runs `start` and all jobs, and calls `check`. Jobs enqueued by the
 * job under test run in the same async context, so they are traced and
 * glitched too. Every run starts at the same virtual time. A failing scenario
 * never aborts the simulation.
 *
 * @throws NothingEnqueuedError when `start` enqueues nothing.
 * @throws NothingTracedError when the clean run executes no instrumented code.
 * @throws InvalidOptionError for malformed options.
 */
export async function simulate(driver: JobDriver, options: SimulateOptions): Promise<SimulationReport> {
  validate(options);
  await options.setup?.();
  try {
    const prepared = await prepareSimulation(driver, options);
    const scenarios: ScenarioResult[] = [];
    const total = prepared.selected.length;
    await options.onProgress?.({ done: 0, total });
    for (const point of prepared.selected) {
      const result = await prepared.run(point);
      scenarios.push(result);
      await options.onProgress?.({ done: scenarios.length, total, last: result });
    }
    return createReport(prepared, scenarios);
  } finally {
    await options.teardown?.();
  }
}

/**
 * Validates the options and performs the traced clean run and its check.
 *
 * @internal shared with `faultline/vitest`, which runs each point as a test.
 */
export async function prepareSimulation(driver: JobDriver, options: SimulateOptions): Promise<PreparedSimulation> {
  const { start, check, reset } = validate(options);
  const runOptions: RunOptions = {
    ...(options.maxExecutions !== undefined ? { maxExecutions: options.maxExecutions } : {}),
    ...(options.settleTimeoutMs !== undefined ? { settleTimeoutMs: options.settleTimeoutMs } : {}),
    ...(options.maxExecutionMs !== undefined ? { maxExecutionMs: options.maxExecutionMs } : {}),
    ...(options.allowFailedJobs !== undefined ? { allowFailedJobs: options.allowFailedJobs } : {}),
  };
  const kinds = new Set(options.kinds ?? DEFAULT_GLITCH_KINDS);
  const faults = [...new Set(options.faults ?? DEFAULT_FAULTS)];
  installVirtualClock();
  // Every run starts at this virtual time, so runs are repeatable and comparable.
  const startTime = clockNowMs();
  const isolate = async () => {
    await driver.clear();
    setVirtualTime(startTime);
    await reset?.();
  };

  await isolate();
  let sites: TracedSite[] = [];
  let run: RunRecordImpl;
  let failure: { error: unknown } | undefined;
  try {
    run = await recordRun(driver, 'clean run', start, runOptions, async (body) => {
      // The trace must end with its sites even when the run fails, so the scenarios are still known.
      let runFailure: { error: unknown } | undefined;
      sites = await traceSites(async () => {
        try {
          await body();
        } catch (error) {
          runFailure = { error };
        }
      });
      if (runFailure) throw runFailure.error;
    });
    failIfJobFailed(run, runOptions);
  } catch (error) {
    if (!(error instanceof RunFailedError && error.run)) throw error;
    run = error.run as RunRecordImpl;
    failure = { error };
  }
  if (sites.length === 0) throw new NothingTracedError('simulate');
  let clean: CleanResult;
  if (failure) {
    clean = { passed: false, error: failure.error, run: run as unknown as CleanRun, sites };
  } else {
    try {
      await check(run as unknown as CleanRun);
      clean = { passed: true, run: run as unknown as CleanRun, sites };
    } catch (error) {
      clean = { passed: false, error, run: run as unknown as CleanRun, sites };
    }
  }

  const points = toPoints(sites, kinds, faults);
  const selected = options.sample === undefined ? points : samplePoints(points, options.sample, options.seed ?? 0);
  return {
    clean,
    points,
    selected,
    async run(point) {
      const glitch = glitchAt(point);
      let scenario: Scenario | undefined;
      try {
        await isolate();
        scenario = await runScenario(driver, { ...runOptions, glitch, start });
        await check(scenario);
        return { glitch, name: point.name, point, passed: true, scenario };
      } catch (error) {
        // A run that failed as a whole (a job failed for good, leftover work, a hung execution) still shows what ran.
        if (!scenario && error instanceof RunFailedError && error.run) scenario = error.run as Scenario;
        return { glitch, name: point.name, point, passed: false, error, ...(scenario ? { scenario } : {}) };
      }
    },
  };
}

/** Builds the report of a prepared simulation's scenario results. @internal */
export function createReport(prepared: PreparedSimulation, scenarios: ScenarioResult[]): SimulationReport {
  const passed = scenarios.filter((s) => s.passed).length;
  const report: SimulationReport = {
    scenarios,
    passed,
    failed: scenarios.length - passed,
    clean: prepared.clean,
    points: prepared.points,
    toString: () => formatReport(report),
  };
  Object.defineProperty(report, inspect.custom, { value: () => formatReport(report) });
  return report;
}

/** The glitch a point's scenario arms. */
export function glitchAt(point: SimulationPoint): Glitch {
  const glitch = Glitch[factoryOf(point.kind)](point.key);
  return point.fault === 'crash' ? glitch.crash() : glitch;
}

/**
 * The points of `sites` of the chosen kinds in trace order, each once per
 * fault (in the order given). A crash fires only inside job executions, so a
 * site that ran only around the jobs (in `start`) gets no crash point.
 */
function toPoints(sites: readonly TracedSite[], kinds: ReadonlySet<GlitchKind>, faults: readonly GlitchFault[]): SimulationPoint[] {
  const points: SimulationPoint[] = [];
  for (const site of sites) {
    const kind = glitchKindOf(site.kind);
    if (kind === undefined || !kinds.has(kind)) continue;
    for (const fault of faults) {
      if (fault === 'crash' && !site.inJob) continue;
      points.push({
        kind,
        fault,
        key: site.key,
        // Transient scenarios keep the names they always had.
        name: fault === 'transient' ? `${kind} ${site.key}` : `${fault} ${kind} ${site.key}`,
        file: site.file,
        line: site.line,
        ...(site.fn !== undefined ? { fn: site.fn } : {}),
      });
    }
  }
  return points;
}

/**
 * Picks `sample` points with a seeded PRNG (a partial Fisher–Yates shuffle
 * driven by mulberry32), returned in trace order: the same seed and points
 * give the same subset on every run and machine.
 */
export function samplePoints<T>(points: readonly T[], sample: number, seed: number): T[] {
  if (sample >= points.length) return [...points];
  const random = mulberry32(seed);
  const indices = points.map((_, index) => index);
  for (let i = 0; i < sample; i++) {
    const j = i + Math.floor(random() * (indices.length - i));
    [indices[i], indices[j]] = [indices[j]!, indices[i]!];
  }
  return indices
    .slice(0, sample)
    .sort((a, b) => a - b)
    .map((index) => points[index]!);
}

function validate(options: SimulateOptions): SimulateOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', options, '{ start, check, … }');
  if (typeof options.start !== 'function') throw new InvalidOptionError('start', options.start, 'a function that enqueues the job under test');
  if (typeof options.check !== 'function') throw new InvalidOptionError('check', options.check, 'a function that asserts the outcome');
  if (options.reset !== undefined && typeof options.reset !== 'function') throw new InvalidOptionError('reset', options.reset, 'a function');
  if (options.kinds !== undefined) {
    if (!Array.isArray(options.kinds) || options.kinds.length === 0 || options.kinds.some((k) => !GLITCH_KINDS.includes(k))) {
      throw new InvalidOptionError('kinds', options.kinds, `a non-empty array of ${GLITCH_KINDS.join(', ')}`);
    }
  }
  if (options.faults !== undefined) {
    if (!Array.isArray(options.faults) || options.faults.length === 0 || options.faults.some((f) => !SIMULATED_FAULTS.includes(f))) {
      throw new InvalidOptionError(
        'faults',
        options.faults,
        `a non-empty array of ${SIMULATED_FAULTS.join(', ')} (raise and run take an error or a function: arm Glitch.….raise(…) / .run(…) with runScenario)`,
      );
    }
  }
  if (options.sample !== undefined && (!Number.isInteger(options.sample) || options.sample < 1)) {
    throw new InvalidOptionError('sample', options.sample, 'a positive integer');
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) {
    throw new InvalidOptionError('seed', options.seed, 'an integer');
  }
  for (const hook of ['setup', 'teardown'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function') throw new InvalidOptionError(hook, options[hook], 'a function');
  }
  if (options.allowFailedJobs !== undefined && typeof options.allowFailedJobs !== 'boolean') {
    throw new InvalidOptionError('allowFailedJobs', options.allowFailedJobs, 'a boolean');
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new InvalidOptionError('onProgress', options.onProgress, 'a function');
  }
  return options;
}

/**
 * The report as text: the totals, then for each failing scenario (and a
 * failing clean run) its glitch, the source text of the glitched line, why
 * it failed and every execution with its attempt, outcome and virtual time.
 */
function formatReport(report: SimulationReport): string {
  const lines = [
    `Simulation: ${report.scenarios.length} scenario${report.scenarios.length === 1 ? '' : 's'}, ${report.passed} passed, ${report.failed} failed` +
      (report.scenarios.length < report.points.length ? ` (sampled from ${report.points.length} points)` : '') +
      (report.clean.passed ? '' : '; the clean run FAILED'),
  ];
  if (!report.clean.passed) {
    lines.push(`  ✗ clean run (no glitch)`, `      why: ${indent(describeError(report.clean.error))}`, ...executionLines(report.clean.run));
  }
  const sources = new Map<string, readonly string[] | undefined>();
  for (const result of report.scenarios) {
    if (result.passed) continue;
    const { point } = result;
    lines.push(`  ✗ ${result.name}`);
    const text = sourceLine(sources, point.file, point.line);
    const fault = point.fault === 'transient' ? '' : `${point.fault} `;
    lines.push(`      glitch: ${fault}${result.glitch.kind} at ${point.file}:${point.line}${result.glitch.executed ? '' : ' (never fired)'}`);
    if (text !== undefined) lines.push(`      line ${point.line}: ${text}`);
    lines.push(`      why: ${indent(describeError(result.error))}`);
    if (result.scenario) lines.push(...executionLines(result.scenario));
  }
  return lines.join('\n');
}

/** A run's executions, as its own account lists them, under a report entry. */
function executionLines(run: { toString(): string }): string[] {
  const [, ...executions] = String(run).split('\n');
  return executions.length === 0 ? ['      no executions'] : ['      executions:', ...executions.map((line) => `    ${line}`)];
}

/** Continuation lines of a multi-line message, indented under their entry. */
function indent(text: string): string {
  return text.replaceAll('\n', '\n        ');
}

/** The trimmed source text of `line` of `file` (relative to the working directory), or undefined when it cannot be read. */
function sourceLine(cache: Map<string, readonly string[] | undefined>, file: string, line: number): string | undefined {
  if (!cache.has(file)) {
    let lines: string[] | undefined;
    try {
      lines = readFileSync(resolve(process.cwd(), file), 'utf8').split(/\r?\n/);
    } catch {
      // Compiled from elsewhere, or deleted since: the report stays usable without its source.
    }
    cache.set(file, lines);
  }
  return cache.get(file)?.[line - 1]?.trim();
}
