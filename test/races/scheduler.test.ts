/**
 * The race scheduler's rules on MemoryQueue: an execution blocked on a lock a
 * parked one holds does not hang the run; jobs a racer enqueues join the
 * race; a job failing for good fails its schedule with JobFailedError.
 */
import { describe, expect, test } from 'vitest';
import { JobFailedError, LeftoverWorkError, MemoryQueue, simulateRaces } from 'faultline';
import { firesAndForgets, outbox, startsInterval } from '../../fixtures/jobs/leftover.js';
import { doomed, follow, locked, parent } from '../../fixtures/jobs/race-shapes.js';

/** A FIFO mutex (not instrumented: only the jobs' awaits are points). */
class Mutex {
  #held = false;
  readonly #waiting: (() => void)[] = [];
  async acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held = false;
  }
}

describe('the race scheduler', () => {
  test('an execution blocked on a lock a parked one holds counts as blocked after blockedAfterMs, and the holder goes on', async () => {
    const log: string[] = [];
    const queue = new MemoryQueue();
    queue.define('locked', locked(new Mutex(), log));
    const started = performance.now();
    const report = await simulateRaces(queue, {
      reset: () => void (log.length = 0),
      start: async () => {
        await queue.enqueue('locked', {}, { jobId: 'a' });
        await queue.enqueue('locked', {}, { jobId: 'b' });
      },
      // The lock holds: never two inside at once.
      check: () => expect([log.join(','), log.length]).toEqual([expect.stringMatching(/^(a in,a out,b in,b out|b in,b out,a in,a out)$/), 4]),
      blockedAfterMs: 50,
    });
    expect(report.failed, String(report)).toBe(0);
    // Some schedule let the second job go on into the held lock: it blocked, and the holder was chosen next.
    const blocked = report.schedules.filter((s) => s.name === 'locked#a at race-shapes.ts:18 → locked#b blocked after race-shapes.ts:18 → locked#a to the end → locked#b to the end');
    expect(blocked.length, report.schedules.map((s) => s.name).join('\n')).toBe(1);
    expect(blocked[0]!.schedule.steps.find((step) => step.blocked !== undefined)).toEqual({ run: 'locked#a', at: 'fixtures/jobs/race-shapes.ts:18', blocked: ['locked#b'] });
    expect(String(blocked[0]!.run)).toMatch(/2\. locked#b: start → blocked after race-shapes.ts:18/);
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  test('jobs a racer enqueues due now join the race, parked at their start', async () => {
    const log: string[] = [];
    const queue = new MemoryQueue();
    queue.define('parent', parent);
    queue.define('follow', follow(log));
    const report = await simulateRaces(queue, {
      reset: () => void (log.length = 0),
      start: async () => {
        await queue.enqueue('parent', {}, { jobId: 'a' });
        await queue.enqueue('parent', {}, { jobId: 'b' });
      },
      check: () => expect([...log].sort()).toEqual(['follow a', 'follow b']),
      preemptions: 1,
    });
    expect(report.failed, String(report)).toBe(0);
    // A follow-up running before the other parent: it raced, not queued behind.
    expect(report.schedules.some((s) => /follow#\d+ .*parent#/.test(s.name)), report.schedules.map((s) => s.name).join('\n')).toBe(true);
  });

  test('a job failing for good fails its schedule with JobFailedError, whatever check says', async () => {
    const queue = new MemoryQueue();
    queue.define('doomed', doomed);
    const report = await simulateRaces(queue, {
      start: async () => {
        await queue.enqueue('doomed', {}, { jobId: 'a' });
        await queue.enqueue('doomed', {}, { jobId: 'b' });
      },
      check: () => {},
      preemptions: 0,
    });
    expect(report.schedules).toHaveLength(2);
    expect(report.schedules.every((s) => s.error instanceof JobFailedError)).toBe(true);
    expect(String(report)).toMatch(/why: JobFailedError: Job doomed#a failed for good after 1 attempt/);
  });

  test('work an execution left running parks at its await points too, and is waited for before check', async () => {
    const queue = new MemoryQueue();
    queue.define('fire', firesAndForgets);
    const report = await simulateRaces(queue, {
      reset: () => void (outbox.length = 0),
      start: async () => {
        await queue.enqueue('fire', { ref: 'a' }, { jobId: 'a' });
        await queue.enqueue('fire', { ref: 'b' }, { jobId: 'b' });
      },
      check: () => expect([...outbox].sort()).toEqual(['a', 'a:audit', 'b', 'b:audit']),
      preemptions: 1,
    });
    expect(report.failed, String(report)).toBe(0);
    // The fire-and-forget post's await (leftover.ts:13) is a point the scheduler switched at.
    expect(report.schedules.some((s) => s.name.includes('at leftover.ts:13'))).toBe(true);
  });

  test('work that never ends fails its schedule with LeftoverWorkError', async () => {
    const queue = new MemoryQueue();
    queue.define('interval', startsInterval);
    queue.define('fire', firesAndForgets);
    const report = await simulateRaces(queue, {
      start: async () => {
        await queue.enqueue('interval', {}, { jobId: 'i' });
        await queue.enqueue('fire', { ref: 'f' }, { jobId: 'f' });
      },
      check: () => {},
      preemptions: 0,
      settleTimeoutMs: 100,
    });
    expect(report.schedules.length).toBeGreaterThan(0);
    expect(report.schedules.every((s) => s.error instanceof LeftoverWorkError)).toBe(true);
  });
});
