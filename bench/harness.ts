/**
 * Harness benchmarks (issue 3): simulation wall time against one clean run
 * per scenario on generated jobs of 10, 100 and 1,000 traced points, and heap
 * in use after 1,000 scenarios against after 10. Each measurement runs in its
 * own fresh child process (bench/lib/harness-child.ts) so sites registered,
 * JIT state and heap of one size never bias another; inside it the
 * simulation and the clean-run baseline alternate in interleaved rounds.
 */
import { join } from 'node:path';
import type { Figure } from './figures.js';
import { runChild } from './lib/child.js';
import { ROOT } from './lib/corpus.js';
import type { HarnessArgs, HarnessMemoryResult, HarnessTimeResult } from './lib/harness-child.js';

/** Knobs for quicker runs; the defaults are what `npm run bench` measures. */
export interface BenchHarnessOptions {
  /** Approximate traced points of the generated jobs (default 10, 100, 1,000). */
  sizes?: number[];
  /** Interleaved rounds per size (default 9; 5 for sizes of 1,000 points and more). */
  rounds?: number;
}

const CHILD = join(ROOT, 'bench/lib/harness-child.ts');

/** Runs the harness benchmarks; returns one figure per measure. */
export async function benchHarness(options: BenchHarnessOptions = {}): Promise<Figure[]> {
  const figures: Figure[] = [];
  const perScenario: string[] = [];
  for (const points of options.sizes ?? [10, 100, 1000]) {
    const rounds = options.rounds ?? (points >= 1000 ? 5 : 9);
    const r = await runChild<HarnessTimeResult>(CHILD, { mode: 'time', points, rounds } satisfies HarnessArgs);
    const perScenarioMs = r.simulationMs / r.scenarios;
    perScenario.push(`${r.points}: ${(perScenarioMs * 1000).toFixed(0)} µs`);
    figures.push({
      group: 'harness',
      name: `simulation wall time, generated job of ${r.points} traced points`,
      ratio: r.simulationMs / (r.scenarios * r.cleanRunMs),
      baseline: 'scenarios × one clean run (reset, start, perform all jobs, check; nothing traced or armed)',
      goal: { op: '<=', value: 1.3 },
      detail: {
        'simulation ms': r.simulationMs,
        scenarios: r.scenarios,
        'clean run ms': r.cleanRunMs,
        'ms per scenario': perScenarioMs,
        'µs per scenario per point': (perScenarioMs * 1000) / r.points,
        'job executions': r.executions,
        // A glitched attempt stops part-way and is retried in full, so a scenario runs the job up to twice.
        'ratio per job execution': r.simulationMs / (r.executions * r.cleanRunMs),
      },
    });
  }
  // Linear growth at a glance: time per scenario at each size, on the largest size's figure.
  if (figures.length) figures.at(-1)!.detail!['per scenario by size (points: time)'] = perScenario.join(', ');
  figures.push(await memory());
  return figures;
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
