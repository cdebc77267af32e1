/**
 * Verdicts a user can trust (issue 11) on MemoryQueue: a job left failed
 * fails its run, leftover work never leaks into the next run, time passes
 * inside a job, an execution is bounded, and the report explains itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  ExecutionTimeoutError,
  Glitch,
  JobFailedError,
  LeftoverWorkError,
  MemoryQueue,
  performAllJobs,
  restoreRealClock,
  runScenario,
  simulate,
  UnknownGlitchKeyError,
  type JobHandler,
  type SimulateOptions,
} from '../../runtime/index.js';
import { resolveGlitch } from '../../runtime/probe/arm.js';
import { installVirtualClock } from '../../runtime/harness/clock.js';
import {
  firesAndForgets,
  neverEnds,
  outbox,
  returnsPromise,
  startsInterval,
  startsTimer,
  waitsForDeadline,
} from '../../fixtures/jobs/leftover.js';
import { importUser, signup, signupLog } from '../../fixtures/jobs/signup.js';

afterEach(() => restoreRealClock());
beforeEach(() => void (outbox.length = 0));

const T0 = Date.parse('2025-01-01T00:00:00.000Z');

describe('a job left failed fails its run', () => {
  const signupQueue = () => new MemoryQueue().define('signup', signup).define('import', importUser, { attempts: 2, backoff: 1000 });
  const options = (queue: MemoryQueue): SimulateOptions => ({
    reset: () => void (signupLog.length = 0),
    start: () => queue.enqueue('signup', { email: 'ada@example.com' }),
    check: () => {},
  });

  test('simulate: the clean run and every scenario fail with JobFailedError even though check passes', async () => {
    const queue = signupQueue();
    const report = await simulate(queue, options(queue));
    expect(report.clean.passed).toBe(false);
    expect(report.clean.error).toBeInstanceOf(JobFailedError);
    const error = report.clean.error as JobFailedError;
    expect(error).toMatchObject({ jobName: 'import', jobId: '2', attempts: 2 });
    expect(error.message).toMatch(/Job import#2 failed for good after 2 attempts.*UNIQUE constraint failed: users\.email/);
    expect((error.lastError as Error).message).toMatch(/^UNIQUE constraint failed/);
    expect(report.scenarios.length).toBeGreaterThan(3);
    expect(report.failed).toBe(report.scenarios.length);
    for (const scenario of report.scenarios) {
      expect(scenario.error).toBeInstanceOf(JobFailedError);
      // The run is still there: the report shows every execution.
      expect(scenario.scenario?.performed.map((p) => `${p.name} ${p.attempt} ${p.outcome}`)).toContain('import 2 failed');
    }
    expect(String(report)).toContain('why: JobFailedError: Job import#2 failed for good after 2 attempts');
  });

  test('allowFailedJobs: true opts out', async () => {
    const queue = signupQueue();
    const report = await simulate(queue, { ...options(queue), allowFailedJobs: true });
    expect(report.clean.passed).toBe(true);
    expect(report.failed).toBe(0);
  });

  test('runScenario rejects with JobFailedError carrying the run', async () => {
    const queue = new MemoryQueue();
    queue.define('returns', returnsPromise, { attempts: 1 });
    queue.define('dead', () => Promise.reject(new TypeError('bad payload')));
    const error = await runScenario(queue, {
      glitch: Glitch.beforeReturn('returnsPromise'),
      start: async () => {
        await queue.enqueue('returns', { ref: 'r' });
        await queue.enqueue('dead', null);
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).jobName).toBe('dead');
    expect(String((error as JobFailedError).run)).toMatch(/dead#2 attempt 1 .*failed \(TypeError: bad payload\), not retried/);
  });
});

/** A simulation whose check wants exactly the posts of one clean execution. */
function outboxSimulation(queue: MemoryQueue, expected: string[]): SimulateOptions {
  return {
    reset: () => void (outbox.length = 0),
    start: () => queue.enqueue('job', { ref: 'r' }),
    check: () => expect([...outbox].sort()).toEqual([...expected].sort()),
  };
}

/** Each scenario's verdict when it runs alone: its own fresh run, and time for anything it left to die away after. */
async function verdictsAlone(makeQueue: () => MemoryQueue, expected: string[], names: readonly string[]) {
  const verdicts: Record<string, boolean> = {};
  for (const name of names) {
    const queue = makeQueue();
    const options = outboxSimulation(queue, expected);
    const report = await simulate(queue, { ...options, kinds: [name.split(' ')[0] as never], sample: 1_000 });
    const result = report.scenarios.find((s) => s.name === name)!;
    verdicts[name] = result.passed;
    restoreRealClock();
    await sleep(60);
  }
  return verdicts;
}

describe('leftover work never leaks into the next run', () => {
  const cases: { label: string; handler: JobHandler; expected: string[] }[] = [
    { label: 'a handler returning an un-awaited promise', handler: returnsPromise, expected: ['r'] },
    { label: 'a handler firing and forgetting', handler: firesAndForgets, expected: ['r', 'r:audit'] },
    { label: 'a handler starting a timer', handler: startsTimer, expected: ['r', 'r:late'] },
  ];

  test.each(cases)('$label: every verdict in the full simulation equals its verdict alone', async ({ handler, expected }) => {
    const makeQueue = () => new MemoryQueue().define('job', handler, { attempts: 3 });
    const queue = makeQueue();
    const report = await simulate(queue, outboxSimulation(queue, expected));
    expect(report.clean.passed).toBe(true);
    const inFull = Object.fromEntries(report.scenarios.map((s) => [s.name, s.passed]));
    restoreRealClock();
    await sleep(60);
    expect(inFull).toEqual(await verdictsAlone(makeQueue, expected, Object.keys(inFull)));
    if (handler === returnsPromise) {
      // The truth: the glitched attempt's post and the retry's both land. Without waiting for the first, check saw one.
      expect(inFull['before-return fixtures/jobs/leftover.ts:returnsPromise']).toBe(false);
    }
  });

  test('the retry of a glitched attempt waits for the work the attempt left running', async () => {
    const queue = new MemoryQueue().define('job', returnsPromise, { attempts: 3 });
    const scenario = await runScenario(queue, { glitch: Glitch.beforeReturn('returnsPromise'), start: () => queue.enqueue('job', { ref: 'r' }) });
    // Attempt 1's post landed before attempt 2 ran, so the retry's post is the second: the duplicate the glitch exposes.
    expect(scenario.performed.map((p) => p.outcome)).toEqual(['failed', 'completed']);
    expect(outbox).toEqual(['r', 'r']);
  });

  test('work still pending after settleTimeoutMs fails the run with LeftoverWorkError naming where it began', async () => {
    const queue = new MemoryQueue().define('job', startsInterval);
    queue.define('next', () => {});
    await queue.enqueue('job', null);
    const started = performance.now();
    const error = await performAllJobs(queue, { settleTimeoutMs: 100 }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(LeftoverWorkError);
    const leftover = error as LeftoverWorkError;
    expect(leftover.where).toBe('fixtures/jobs/leftover.ts:41');
    expect(leftover.job).toMatchObject({ name: 'job', attempt: 1 });
    expect(leftover.message).toMatch(/Job job#1 attempt 1 left work running 100 ms .*a Timeout begun at fixtures\/jobs\/leftover\.ts:41/);
  });

  test('a simulation reports the LeftoverWorkError as the scenario failure, with its executions', async () => {
    const queue = new MemoryQueue().define('job', startsInterval);
    const report = await simulate(queue, { start: () => queue.enqueue('job', null), check: () => {}, settleTimeoutMs: 50 });
    expect(report.clean.error).toBeInstanceOf(LeftoverWorkError);
    expect(report.scenarios.every((s) => s.error instanceof LeftoverWorkError || !s.passed)).toBe(true);
    expect(String(report)).toContain('LeftoverWorkError: Job job#1 attempt 1 left work running 50 ms');
  });
});

describe('time inside a job', () => {
  test('a job polling Date.now() against a deadline completes; the clock then stands still again', async () => {
    const queue = new MemoryQueue().define('wait', waitsForDeadline);
    queue.define('after', () => Date.now());
    installVirtualClock(T0);
    await queue.enqueue('wait', { ms: 200 });
    await queue.enqueue('after', null, { delay: 1000 });
    const started = performance.now();
    await performAllJobs(queue);
    expect(performance.now() - started).toBeLessThan(10_000);
    const [wait, after] = queue.performed;
    expect(wait!.outcome).toBe('completed');
    expect(wait!.ranAt.getTime()).toBe(T0);
    // The next job still runs at its exact due time: the wait took less than its 1 s delay.
    expect(after!.ranAt.getTime()).toBe(T0 + 1000);
    const stood = Date.now();
    await sleep(30);
    expect(Date.now()).toBe(stood);
  });

  test('an execution that never ends fails with ExecutionTimeoutError within maxExecutionMs', async () => {
    const queue = new MemoryQueue().define('hang', neverEnds);
    await queue.enqueue('hang', null);
    const started = performance.now();
    const error = await performAllJobs(queue, { maxExecutionMs: 300 }).catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(error).toBeInstanceOf(ExecutionTimeoutError);
    expect((error as ExecutionTimeoutError).message).toMatch(/Job hang#1 attempt 1 ran longer than maxExecutionMs \(300 ms/);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(3_000);
  });

  test('the bounds are validated', async () => {
    const queue = new MemoryQueue().define('job', () => {});
    await expect(performAllJobs(queue, { maxExecutionMs: 0 })).rejects.toThrow(/maxExecutionMs/);
    await expect(performAllJobs(queue, { settleTimeoutMs: Number.NaN })).rejects.toThrow(/settleTimeoutMs/);
  });
});

describe('reports that explain themselves', () => {
  test("String(report) names each failing scenario's glitch, its line's source text, why and every execution", async () => {
    const queue = new MemoryQueue().define('job', returnsPromise, { attempts: 3 });
    const report = await simulate(queue, outboxSimulation(queue, ['r']));
    const text = String(report);
    expect(report.failed).toBeGreaterThan(0);
    expect(text).toContain('✗ before-return fixtures/jobs/leftover.ts:returnsPromise');
    expect(text).toContain('line 21: export const returnsPromise = (job: { data: { ref: string }; attempt: number }) => post(job.data.ref, job.attempt === 1 ? 40 : 5);');
    expect(text).toMatch(/why: AssertionError: expected \[ 'r', 'r' \] to deeply equal \[ 'r' \]/);
    expect(text).toMatch(/1\. job#1 attempt 1 at 20\d\d-.*: failed \(TransientError: .*\), retry at \+1s/);
    expect(text).toMatch(/2\. job#1 attempt 2 at \+1s: completed/);
  });

  test('a function key naming no instrumented function says which include globs are active', () => {
    const error = (() => {
      try {
        resolveGlitch(Glitch.beforeCall('noSuchFunction'));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnknownGlitchKeyError);
    expect((error as Error).message).toContain('no instrumented function is named "noSuchFunction"');
    expect((error as Error).message).toContain('active include globs: "fixtures/jobs/**", "fixtures/workflows/**"');
  });
});
