/**
 * Harness benchmarks: simulation time per job execution against one clean
 * execution of the same job, on jobs doing real I/O (the SQLite workflow
 * transfer and the naive transfer against a SQLite table); the per-scenario
 * cost of toy generated jobs of 10, 100 and 1,000 traced points, in µs; and
 * heap in use after 1,000 scenarios against after 10. Each measurement runs
 * in its own fresh child process (bench/lib/*-child.ts) so sites registered,
 * JIT state and heap of one never bias another; inside it the two sides
 * alternate in interleaved rounds.
 *
 * Why per job execution on real I/O: a toy job runs in ~5 µs, so any ratio
 * against it measures the harness's fixed per-scenario work (reset, clear,
 * arm, check, leftover-work bookkeeping) rather than what a user waits for;
 * and a scenario runs the job about 1.5 times (a glitched attempt is
 * retried), so "scenarios × one clean run" was ill-posed.
 */
import { join } from 'node:path';
import type { Figure } from './figures.js';
import { runChild } from './lib/child.js';
import { ROOT } from './lib/corpus.js';
import type { HarnessArgs, HarnessMemoryResult, HarnessTimeResult } from './lib/harness-child.js';
import type { RealIoArgs, RealIoResult } from './lib/real-io-child.js';

/** Knobs for quicker runs; the defaults are what `npm run bench` measures. */
export interface BenchHarnessOptions {
  /** Approximate traced points of the generated jobs (default 10, 100, 1,000). */
  sizes?: number[];
  /** Interleaved rounds per size (default 9; 5 for sizes of 1,000 points and more). */
  rounds?: number;
}

const CHILD = join(ROOT, 'bench/lib/harness-child.ts');
const REAL_IO_CHILD = join(ROOT, 'bench/lib/real-io-child.ts');
const REAL_IO_JOBS: Record<RealIoArgs['job'], string> = {
  workflow: 'the SQLite workflow transfer (fixtures/workflows/transfer.ts)',
  naive: 'the naive transfer against a SQLite table (bench/fixtures/naive-sqlite-transfer.ts)',
};

/** Runs the harness benchmarks; returns one figure per measure. */
export async function benchHarness(options: BenchHarnessOptions = {}): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const job of Object.keys(REAL_IO_JOBS) as RealIoArgs['job'][]) figures.push(await realIo(job));
  for (const points of options.sizes ?? [10, 100, 1000]) {
    const rounds = options.rounds ?? (points >= 1000 ? 5 : 9);
    const r = await runChild<HarnessTimeResult>(CHILD, { mode: 'time', points, rounds } satisfies HarnessArgs);
    const perScenarioMs = r.simulationMs / r.scenarios;
    figures.push({
      group: 'harness',
      name: `per-scenario cost, toy generated job of ${r.points} traced points`,
      ratio: r.simulationMs / (r.executions * r.cleanRunMs),
      baseline: 'one clean run of the toy job per job execution (a few µs: what the harness costs per scenario, not a user-facing ratio)',
      detail: {
        'µs per scenario': perScenarioMs * 1000,
        'µs per scenario per point': (perScenarioMs * 1000) / r.points,
        scenarios: r.scenarios,
        'job executions': r.executions,
        'clean run µs': r.cleanRunMs * 1000,
      },
    });
  }
  figures.push(await memory());
  return figures;
}

/** Simulation time per job execution / one clean execution, on a job doing real SQLite I/O. */
async function realIo(job: RealIoArgs['job']): Promise<Figure> {
  const r = await runChild<RealIoResult>(REAL_IO_CHILD, { job } satisfies RealIoArgs, {
    imports: ['./transformer/register.ts'],
    env: { FAULTLINE_INCLUDE: 'fixtures/workflows/**,bench/fixtures/naive-sqlite-transfer.ts' },
  });
  const perExecutionMs = r.simulationMs / r.executions;
  return {
    group: 'harness',
    name: `simulation time per job execution, ${REAL_IO_JOBS[job]}`,
    ratio: perExecutionMs / r.cleanExecutionMs,
    baseline: "one clean execution of the same job (the handler called once, instrumented code idle, no perform loop); the simulation's time excludes the user's own reset and check",
    goal: { op: '<=', value: 1.2 },
    detail: {
      'simulation ms (less reset/check)': r.simulationMs,
      'simulation ms (with reset/check)': r.simulationWithUserCallbacksMs,
      scenarios: r.scenarios,
      'job executions': r.executions,
      'ms per job execution': perExecutionMs,
      'clean execution ms': r.cleanExecutionMs,
      'ratio with reset/check': r.simulationWithUserCallbacksMs / r.executions / r.cleanExecutionMs,
      // Leftover-work tracking and the elapsing clock are on for every execution of the simulation side.
      includes: 'trace, arming, perform loop, leftover-work tracking, elapsing clock',
    },
  };
}

/** Figure 6: heap in use after 1,000 scenarios / after 10, same process. */
async function memory(): Promise<Figure> {
  const r = await runChild<HarnessMemoryResult>(CHILD, { mode: 'memory', points: 10 } satisfies HarnessArgs);
  return {
    group: 'harness',
    name: 'heap in use after 1,000 scenarios (100 simulations × 10, reports dropped)',
    ratio: r.heapAfter1000Mb / r.heapAfter10Mb,
    baseline: 'heap in use after 10 scenarios, same process (global.gc() before each reading)',
    goal: { op: '<=', value: 1.1 },
    detail: { 'heap after 10 MB': r.heapAfter10Mb, 'heap after 1000 MB': r.heapAfter1000Mb, 'peak RSS MB': r.peakRssMb },
  };
}
