/**
 * Race benchmarks (issue 16): schedules per second exploring the two-signup
 * race on MemoryQueue over a SQLite table and over an in-memory one (goal ≥
 * 1,000/s; the in-memory row is the scheduler's own rate), against the clean
 * sequential run of the same two jobs; and the per-schedule cost as the
 * number of await points grows (two `segments` jobs of 2, 8 and 32 points,
 * up to one preemption), which should grow linearly with the decisions a
 * schedule makes. Each measurement runs in its own child process,
 * instrumented by the Node hook.
 */
import { join } from 'node:path';
import type { Figure } from './figures.js';
import { runChild } from './lib/child.js';
import { ROOT } from './lib/corpus.js';
import type { RacesArgs, RacesResult } from './lib/races-child.js';

const CHILD = join(ROOT, 'bench/lib/races-child.ts');
const HOOK = { imports: ['./transformer/register.ts'], env: { FAULTLINE_INCLUDE: 'fixtures/jobs/**' } };

/** Runs the race benchmarks; returns one figure per measure. */
export async function benchRaces(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const tables = [
    { mode: 'signup', rounds: 20, name: 'schedules per second, two signups racing on MemoryQueue over SQLite (fixtures/jobs/signup-race.ts)' },
    { mode: 'signup-memory', rounds: 100, name: 'schedules per second, two signups racing on MemoryQueue over an in-memory table (signUpInMemory: the scheduler\'s own rate)' },
  ] as const;
  for (const { mode, rounds, name } of tables) {
    const signup = await runChild<RacesResult>(CHILD, { mode, rounds } satisfies RacesArgs, HOOK);
    const perSecond = (signup.schedules / signup.ms) * 1000;
    figures.push({
      group: 'races',
      name,
      ratio: perSecond,
      baseline: 'absolute: schedules explored per second of wall time (each: clear, reset, start, the raced run, check)',
      goal: { op: '>=', value: 1000 },
      detail: { schedules: signup.schedules, 'ms per schedule': signup.ms / signup.schedules, 'clean sequential run ms': signup.cleanRunMs, 'ms per schedule / clean run': signup.ms / signup.schedules / signup.cleanRunMs },
    });
  }
  // Rounds so each measures about 1,000 schedules (6, 18 and 66 a round).
  for (const [points, rounds] of [[2, 160], [8, 60], [32, 15]] as const) {
    const r = await runChild<RacesResult>(CHILD, { mode: 'points', points, rounds } satisfies RacesArgs, HOOK);
    const perSchedule = r.ms / r.schedules;
    // Decisions per schedule: each job's start and its `points` await points.
    const decisions = 2 * (points + 1);
    figures.push({
      group: 'races',
      name: `per-schedule cost, two jobs of ${points} await points (≤ 1 preemption)`,
      ratio: perSchedule / r.cleanRunMs,
      baseline: 'one clean sequential run of the same two jobs (performAllJobs)',
      detail: { 'ms per schedule': perSchedule, 'µs per decision': (perSchedule * 1000) / decisions, schedules: r.schedules },
    });
  }
  return figures;
}
