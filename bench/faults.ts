/**
 * Faults benchmark (issue 15): what a crash scenario costs against a
 * transient one at the same points of the same job (the SQLite workflow
 * transfer), each measured in a fresh child process, both sides interleaved.
 * A crash scenario runs more (the stall re-delivery, a locked-out retry while
 * the lease stands) and abandons work; the goal is at most 1.5× the cost.
 */
import { join } from 'node:path';
import type { Figure } from './figures.js';
import { runChild } from './lib/child.js';
import { ROOT } from './lib/corpus.js';
import type { FaultsArgs, FaultsResult } from './lib/faults-child.js';

const CHILD = join(ROOT, 'bench/lib/faults-child.ts');

/** Runs the faults benchmark; one figure. */
export async function benchFaults(): Promise<Figure[]> {
  const r = await runChild<FaultsResult>(CHILD, {} satisfies FaultsArgs, {
    imports: ['./transformer/register.ts'],
    env: { FAULTLINE_INCLUDE: 'fixtures/workflows/**' },
  });
  return [
    {
      group: 'faults',
      name: 'time per crash scenario, the SQLite workflow transfer',
      ratio: r.crashMs / r.transientMs,
      baseline: 'time per transient scenario at the same points of the same job, same process',
      goal: { op: '<=', value: 1.5 },
      detail: {
        'crash scenarios/s': 1000 / r.crashMs,
        'transient scenarios/s': 1000 / r.transientMs,
        scenarios: r.scenarios,
        'job executions (crash)': r.crashExecutions,
        'job executions (transient)': r.transientExecutions,
      },
    },
  ];
}
