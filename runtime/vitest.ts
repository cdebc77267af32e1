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
 * the clean run and each scenario run, and restored after.
 *
 * Vitest is imported lazily, inside `describeSimulation`: Vitest itself is
 * ESM-only, and a static import would make `require('faultline/vitest')`
 * throw in CommonJS consumers before any of this could be used.
 */
import { restoreRealClock } from './clock.js';
import type { JobDriver } from './driver.js';
import { brandClass } from './errors.js';
import { writeReport } from './report.js';
import { describeError, type RunRecord } from './scenario.js';
import {
  createReport,
  prepareSimulation,
  type PreparedSimulation,
  type ScenarioResult,
  type SimulateOptions,
} from './simulate.js';

/** Options of {@link describeSimulation}: those of `simulate`, plus where to write the JSON report. */
export interface DescribeSimulationOptions extends SimulateOptions {
  /** Write the JSON report (see `writeReport`) of the scenarios that ran to this path after the block. */
  report?: string;
  /** Root the report's file paths are read from (default `process.cwd()`). */
  root?: string;
  /** Per-test timeout in ms for the scenario tests (default: Vitest's). */
  timeout?: number;
}

/** A scenario (or the clean run) whose check failed: thrown from its Vitest test. */
export class ScenarioFailedError extends Error {
  override name = 'ScenarioFailedError';
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
  const resolved = typeof driver === 'function' ? await driver() : driver;
  let prepared: PreparedSimulation;
  try {
    prepared = await prepareSimulation(resolved, options);
  } finally {
    restoreRealClock();
  }
  const results: ScenarioResult[] = [];
  const timeout = options.timeout;
  const { afterAll, describe, test } = await import('vitest');

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
    if (options.report !== undefined) {
      const path = options.report;
      afterAll(async () => {
        await writeReport(createReport(prepared, results), path, options.root !== undefined ? { root: options.root } : {});
      });
    }
  });
  return prepared;
}

/**
 * Puts the real `Date` back. A MemoryQueue or a perform loop installs the
 * virtual clock; tests that use them directly restore it with
 * `afterEach(restoreRealClock)`.
 */
export { restoreRealClock };
