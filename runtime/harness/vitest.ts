/**
 * `faultline/vitest`: a simulation whose scenarios are Vitest tests.
 *
 * ```ts
 * // test/transfer.test.ts
 * import { describeSimulation } from 'faultline/vitest';
 *
 * const queue = new MemoryQueue();
 * queue.define('transfer', transfer);
 *
 * await describeSimulation('transfer', queue, {
 *   reset: () => resetBank({ alice: 100, bob: 0 }),
 *   start: () => queue.enqueue('transfer', { from: 'alice', to: 'bob', amount: 10 }),
 *   check: () => expect(balance('alice')).toBe(90),
 * });
 * ```
 *
 * Vitest collects tests synchronously, but the scenarios are only known once
 * the clean run has been traced. So `describeSimulation` is awaited at the
 * top level of the test file (top-level await is fine in Vitest's ESM test
 * files): it performs the traced clean run while the file is collected, then
 * registers a `describe(title)` holding one `clean run` test and one test per
 * scenario, named by the scenario (`before-line fixtures/jobs/transfer.ts:17`),
 * so failures read like failing tests and `-t` selects scenarios. Each
 * scenario runs inside its own test; the fake `Date` is installed only while
 * the clean run and each scenario run, and restored after (and once more
 * after the file's last test, whatever else installed it).
 *
 * Lifecycle: `setup` runs, then the clean run, both while Vitest collects the
 * file — before any `beforeAll` hook — so state the runs need must be made
 * in `setup` (or at the top level), not in `beforeAll`. `teardown` runs in an
 * `afterAll` of the block, after the last scenario (and the report).
 *
 * Vitest is imported lazily, inside `describeSimulation`: Vitest itself is
 * ESM-only, and a static import would make `require('faultline/vitest')`
 * throw in CommonJS consumers before any of this could be used.
 */
import { restoreRealClock } from './clock.js';
import type { JobDriver } from './driver.js';
import { InvalidOptionError } from './harness-errors.js';
import { writeReport } from './report.js';
import { describeError, type RunRecord } from './scenario.js';
import { prepareRaces, type RaceResult, type SimulateRacesOptions } from './race/race.js';
import {
  createReport,
  prepareSimulation,
  type PreparedSimulation,
  type ScenarioResult,
  type SimulateOptions,
} from './simulate.js';
import { brandClass, FaultlineError } from '../../core/errors.js';

/**
 * Options of {@link describeSimulation}: those of `simulate` (`setup` runs
 * before the clean run, at collection; `teardown` after the last scenario),
 * plus where to write the JSON report.
 */
export interface DescribeSimulationOptions extends SimulateOptions {
  /** Write the JSON report (see `writeReport`) of the scenarios that ran to this path after the block. */
  report?: string;
  /** Root the report's file paths are read from (default `process.cwd()`). */
  root?: string;
  /** Per-test timeout in ms for the scenario tests (default: Vitest's). */
  timeout?: number;
}

/** A scenario (or the clean run) whose check failed: thrown from its Vitest test. */
export class ScenarioFailedError extends FaultlineError {
  /** The scenario's name, or `"clean run"`. */
  declare readonly scenarioName: string;
  /** What `check` (or the run) threw. */
  declare readonly failure: unknown;

  constructor(scenarioName: string, failure: unknown, run: RunRecord | undefined) {
    super(`${scenarioName}: ${describeError(failure)}${run ? `\n\n${run}` : ''}`);
    // Not enumerable and not `cause`: Vitest would print them again under the message.
    Object.defineProperties(this, { scenarioName: { value: scenarioName }, failure: { value: failure } });
    if (failure instanceof Error) {
      // Point the failure at the user's check, and keep an assertion's diff for Vitest to print.
      const frames = (failure.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
      this.stack = [`${this.name}: ${this.message}`, ...frames].join('\n');
      for (const key of ['expected', 'actual', 'showDiff', 'diff', 'operator'] as const) {
        if (key in failure) (this as Record<string, unknown>)[key] = (failure as unknown as Record<string, unknown>)[key];
      }
    }
  }
}
brandClass(ScenarioFailedError, 'ScenarioFailedError');

/**
 * Runs the clean traced run now and registers one Vitest test per scenario
 * (plus `clean run`) in a `describe(title)` block. Await it at the top level
 * of a test file.
 *
 * @param driver - the queue, or a function creating it (called once, at collection).
 * @returns the prepared simulation (its `points` and `selected` scenarios).
 * @throws at collection, like `simulate`: NothingEnqueuedError, NothingTracedError, InvalidOptionError.
 */
export async function describeSimulation(
  title: string,
  driver: JobDriver | (() => JobDriver | Promise<JobDriver>),
  options: DescribeSimulationOptions,
): Promise<PreparedSimulation> {
  const { afterAll, describe, test } = await import('vitest');
  // At the file's top level: the real Date is back after the file's last test, whoever installed the fake.
  afterAll(() => restoreRealClock());
  const resolved = typeof driver === 'function' ? await driver() : driver;
  if (options.setup !== undefined && typeof options.setup !== 'function') throw new InvalidOptionError('setup', options.setup, 'a function');
  if (options.teardown !== undefined && typeof options.teardown !== 'function') throw new InvalidOptionError('teardown', options.teardown, 'a function');
  let prepared: PreparedSimulation;
  try {
    await options.setup?.();
    prepared = await prepareSimulation(resolved, options);
  } catch (error) {
    await options.teardown?.();
    throw error;
  } finally {
    restoreRealClock();
  }
  const results: ScenarioResult[] = [];
  const timeout = options.timeout;

  describe(title, () => {
    test('clean run', () => {
      if (!prepared.clean.passed) throw new ScenarioFailedError('clean run', prepared.clean.error, prepared.clean.run);
    });
    for (const point of prepared.selected) {
      test(
        point.name,
        async () => {
          let result: ScenarioResult;
          try {
            result = await prepared.run(point);
          } finally {
            restoreRealClock();
          }
          results.push(result);
          if (!result.passed) throw new ScenarioFailedError(result.name, result.error, result.scenario);
        },
        timeout,
      );
    }
    if (options.report !== undefined || options.teardown !== undefined) {
      // One hook, so the report is written before teardown whatever order Vitest runs hooks in.
      afterAll(async () => {
        try {
          if (options.report !== undefined) {
            await writeReport(createReport(prepared, results), options.report, options.root !== undefined ? { root: options.root } : {});
          }
        } finally {
          await options.teardown?.();
        }
      });
    }
  });
  return prepared;
}

/** Options of {@link describeRaces}: those of `simulateRaces`, plus the per-test timeout. */
export interface DescribeRacesOptions extends SimulateRacesOptions {
  /** Per-test timeout in ms for the schedule tests (default: Vitest's). */
  timeout?: number;
}

/**
 * Explores the races now (as `simulateRaces` does: `setup` first, all while
 * Vitest collects the file) and registers one Vitest test per schedule in a
 * `describe(title)` block, named by the schedule
 * (`signup#a at signup.ts:33 → signup#b to the end → signup#a to the end`), so
 * `-t` selects schedules. Each test replays its schedule (clear, `reset`,
 * `start`, the schedule's choices) and checks it, so a test's verdict is its
 * own run's. `teardown` runs after the last test. Await it at the top level
 * of a test file.
 *
 * @param driver - the queue, or a function creating it (called once, at collection).
 * @returns the schedules explored at collection, with their verdicts.
 * @throws at collection, like `simulateRaces`: TooFewRacersError, NoAwaitPointError, InvalidOptionError.
 */
export async function describeRaces(
  title: string,
  driver: JobDriver | (() => JobDriver | Promise<JobDriver>),
  options: DescribeRacesOptions,
): Promise<readonly RaceResult[]> {
  const { afterAll, describe, test } = await import('vitest');
  afterAll(() => restoreRealClock());
  const resolved = typeof driver === 'function' ? await driver() : driver;
  const explored: RaceResult[] = [];
  let explorer: Awaited<ReturnType<typeof prepareRaces>>;
  try {
    explorer = await prepareRaces(resolved, options);
    await options.setup?.();
    for (let next = await explorer.next(); next !== undefined; next = await explorer.next()) explored.push(next);
  } catch (error) {
    await options.teardown?.();
    throw error;
  } finally {
    restoreRealClock();
  }
  const names = new Map<string, number>();
  describe(title, () => {
    for (const result of explored) {
      const seen = (names.get(result.name) ?? 0) + 1;
      names.set(result.name, seen);
      test(
        seen === 1 ? result.name : `${result.name} (${seen})`,
        async () => {
          let replayed: RaceResult;
          try {
            replayed = await explorer.replay(result.schedule);
          } finally {
            restoreRealClock();
          }
          if (!replayed.passed) throw new ScenarioFailedError(replayed.name, replayed.error, replayed.run);
        },
        options.timeout,
      );
    }
    if (options.teardown !== undefined) afterAll(() => options.teardown?.());
  });
  return explored;
}

/**
 * Puts the real `Date` back. A MemoryQueue or a perform loop installs the
 * virtual clock; tests that use them directly restore it with
 * `afterEach(restoreRealClock)`.
 */
export { restoreRealClock };
