/**
 * Race exploration on MemoryQueue: schedule counts against the
 * combinatorics, determinism, replay, and bad input.
 */
import { describe, expect, test } from 'vitest';
import { MemoryQueue, NoAwaitPointError, runRace, simulateRaces, StaleScheduleError, TooFewRacersError, type Schedule } from 'faultline';
import { segments, stretches } from '../../fixtures/jobs/segments.js';

const queue = new MemoryQueue();
queue.define('seg', segments);
queue.define('plain', () => 'no await here');

/** Two racing `segments` jobs with `a` and `b` await points. */
const twoJobs = (a: number, b: number) => async () => {
  await queue.enqueue('seg', { points: a }, { jobId: 'a' });
  await queue.enqueue('seg', { points: b }, { jobId: 'b' });
};

/**
 * Two executions with k_a and k_b await points (k + 1 stretches each). A
 * schedule is an alternation of m blocks of stretches; every switch but the
 * last (into the other's final block, after one finished) preempts, so a
 * schedule with m blocks has m − 2 preemptions. Starting with A, A's k_a + 1
 * stretches split into ⌈m/2⌉ non-empty blocks in C(k_a, ⌈m/2⌉ − 1) ways and
 * B's into ⌊m/2⌋ in C(k_b, ⌊m/2⌋ − 1) ways; likewise starting with B. So
 * exactly c preemptions: c = 0 → 2, c = 1 → k_a + k_b, c = 2 → 2·k_a·k_b.
 */
function schedulesWithAtMost(c: number, ka: number, kb: number): number {
  let total = 0;
  for (let p = 0; p <= c; p++) {
    const m = p + 2;
    total += binomial(ka, Math.ceil(m / 2) - 1) * binomial(kb, Math.floor(m / 2) - 1);
    total += binomial(kb, Math.ceil(m / 2) - 1) * binomial(ka, Math.floor(m / 2) - 1);
  }
  return total;
}

function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}

describe('simulateRaces on MemoryQueue', () => {
  test.each([0, 1, 2])('the schedule count with preemptions: %i matches the combinatorics (2 and 3 await points)', async (preemptions) => {
    const report = await simulateRaces(queue, { start: twoJobs(2, 3), check: () => {}, preemptions });
    expect(schedulesWithAtMost(preemptions, 2, 3)).toBe([2, 7, 19][preemptions]);
    expect(report.schedules).toHaveLength(schedulesWithAtMost(preemptions, 2, 3));
    expect(report.complete).toBe(true);
    // All distinct, fewest preemptions first, each within the bound.
    expect(new Set(report.schedules.map((s) => s.name)).size).toBe(report.schedules.length);
    const counts = report.schedules.map((s) => s.preemptions);
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
    expect(Math.max(...counts)).toBe(preemptions);
    expect(report.failed).toBe(0);
  });

  test('three jobs without preemption: every order of the three, 3! = 6', async () => {
    const report = await simulateRaces(queue, {
      start: async () => {
        for (const id of ['a', 'b', 'c']) await queue.enqueue('seg', { points: 1 }, { jobId: id });
      },
      check: () => {},
      preemptions: 0,
    });
    expect(report.schedules.map((s) => s.name).sort()).toEqual([
      'seg#a to the end → seg#b to the end → seg#c to the end',
      'seg#a to the end → seg#c to the end → seg#b to the end',
      'seg#b to the end → seg#a to the end → seg#c to the end',
      'seg#b to the end → seg#c to the end → seg#a to the end',
      'seg#c to the end → seg#a to the end → seg#b to the end',
      'seg#c to the end → seg#b to the end → seg#a to the end',
    ]);
  });

  test('a schedule runs exactly the stretches its name says, and replays alike from JSON', async () => {
    const report = await simulateRaces(queue, { start: twoJobs(1, 1), check: () => {}, preemptions: 1 });
    const preempting = report.schedules.find((s) => s.name === 'seg#a at segments.ts:15 → seg#b to the end → seg#a to the end')!;
    expect(preempting, report.schedules.map((s) => s.name).join('\n')).toBeDefined();
    expect(preempting.preemptions).toBe(1);
    stretches.length = 0;
    const run = await runRace(queue, { start: twoJobs(1, 1), schedule: JSON.parse(JSON.stringify(preempting.schedule)) as Schedule });
    expect(stretches).toEqual(['a:0', 'b:0', 'b:1', 'a:1']);
    expect(run.schedule).toEqual(preempting.schedule);
    expect(run.performed.map((p) => `${p.name}#${p.id} ${p.outcome}`)).toEqual(['seg#b completed', 'seg#a completed']);
  });

  test('the cap stops the systematic part, PCT samples past it with the seed, and one seed gives one result', async () => {
    const options = { start: twoJobs(4, 4), check: () => {}, preemptions: 2, schedules: 5, samples: 6, seed: 7 };
    const first = await simulateRaces(queue, options);
    const second = await simulateRaces(queue, options);
    expect(schedulesWithAtMost(2, 4, 4)).toBeGreaterThan(5);
    expect(first.complete).toBe(false);
    expect(first.schedules.filter((s) => s.source === 'explored')).toHaveLength(5);
    const sampled = first.schedules.filter((s) => s.source === 'sampled');
    expect(sampled.length).toBeGreaterThan(0);
    expect(sampled.length).toBeLessThanOrEqual(6);
    expect(new Set(first.schedules.map((s) => s.name)).size).toBe(first.schedules.length);
    expect(second.schedules.map((s) => [s.name, s.passed])).toEqual(first.schedules.map((s) => [s.name, s.passed]));
    const other = await simulateRaces(queue, { ...options, seed: 8 });
    expect(other.schedules.slice(0, 5).map((s) => s.name)).toEqual(first.schedules.slice(0, 5).map((s) => s.name));
  });
});

describe('bad input', () => {
  test('start enqueuing one job is TooFewRacersError', async () => {
    const error = await simulateRaces(queue, { start: () => queue.enqueue('seg', { points: 1 }), check: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooFewRacersError);
    expect(String(error)).toMatch(/enqueued 1 job due now/);
    await expect(runRace(queue, { start: () => {}, schedule: { version: 1, steps: [{ run: 'x#1', at: 'start' }] } })).rejects.toBeInstanceOf(TooFewRacersError);
  });

  test('a schedule of other code is StaleScheduleError naming the step', async () => {
    const stale: Schedule = { version: 1, steps: [{ run: 'seg#a', at: 'start' }, { run: 'seg#a', at: 'fixtures/jobs/segments.ts:99' }] };
    const error = await runRace(queue, { start: twoJobs(1, 1), schedule: stale }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StaleScheduleError);
    expect(String(error)).toMatch(/step 2: it lets seg#a go on from fixtures\/jobs\/segments.ts:99, but the parked executions are seg#a at fixtures\/jobs\/segments.ts:15, seg#b at start/);
    const short: Schedule = { version: 1, steps: [{ run: 'seg#a', at: 'start' }] };
    await expect(runRace(queue, { start: twoJobs(1, 1), schedule: short })).rejects.toBeInstanceOf(StaleScheduleError);
  });

  test('jobs that reach no await point are NoAwaitPointError', async () => {
    const error = await simulateRaces(queue, {
      start: async () => {
        await queue.enqueue('plain', {});
        await queue.enqueue('plain', {});
      },
      check: () => {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoAwaitPointError);
  });

  test('malformed options and schedules are InvalidOptionError', async () => {
    await expect(simulateRaces(queue, { start: twoJobs(1, 1), check: () => {}, preemptions: -1 })).rejects.toThrow(/Invalid option preemptions/);
    await expect(simulateRaces(queue, { start: twoJobs(1, 1), check: () => {}, schedules: 0 })).rejects.toThrow(/Invalid option schedules/);
    await expect(runRace(queue, { start: twoJobs(1, 1), schedule: { steps: [] } as unknown as Schedule })).rejects.toThrow(/Invalid option schedule/);
    await expect(simulateRaces(queue, { start: twoJobs(1, 1), check: () => {}, faults: ['raise'] } as never)).rejects.toThrow(/Invalid option faults: .*distinct faults of 'transient', 'crash'/);
    await expect(simulateRaces(queue, { start: twoJobs(1, 1), check: () => {}, faults: ['crash', 'crash'] })).rejects.toThrow(/Invalid option faults/);
    await expect(
      runRace(queue, { start: twoJobs(1, 1), schedule: { version: 1, steps: [{ run: 'a#1', at: 'start' }], fault: { fault: 'crash', run: 'a#1', at: 'start' } } as Schedule }),
    ).rejects.toThrow(/Invalid option schedule fault/);
  });
});
