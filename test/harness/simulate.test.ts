import { afterEach, describe, expect, test } from 'vitest';
import {
  Glitch,
  GlitchNotExecutedError,
  InvalidOptionError,
  MemoryQueue,
  NothingEnqueuedError,
  NothingTracedError,
  restoreRealClock,
  runScenario,
  simulate,
  TransientError,
  type SimulateOptions,
} from '../../runtime/index.js';
import { balance, emailsTo, hasEntry, resetBank } from '../../fixtures/jobs/bank.js';
import { transfer } from '../../fixtures/jobs/transfer.js';
import { transferSafe } from '../../fixtures/jobs/transfer-safe.js';
import { followUp, onboard, onboardingLog, onboardRetry, welcome } from '../../fixtures/jobs/follow-up.js';
import { NAIVE_TRANSFER_FAILING } from '../support/naive-transfer.js';

afterEach(() => restoreRealClock());

/** Alice pays Bob 10, once: the invariant every transfer scenario must keep. */
function transferSimulation(queue: MemoryQueue, job: 'transfer' | 'transfer-safe'): SimulateOptions {
  return {
    reset: () => resetBank({ alice: 100, bob: 0 }),
    start: () => queue.enqueue(job, { transferId: 't-1', from: 'alice', to: 'bob', amount: 10 }),
    check: () => {
      expect({ alice: balance('alice'), bob: balance('bob'), emails: emailsTo('bob').length }).toEqual({
        alice: 90,
        bob: 10,
        emails: 1,
      });
    },
  };
}

function transferQueue(): MemoryQueue {
  const queue = new MemoryQueue();
  queue.define('transfer', transfer);
  queue.define('transfer-safe', transferSafe);
  return queue;
}

const names = (results: readonly { name: string }[]) => results.map((r) => r.name);

describe('simulate', () => {
  test('the naive transfer fails exactly where a retry repeats a debit, credit or email', async () => {
    const queue = transferQueue();
    const report = await simulate(queue, transferSimulation(queue, 'transfer'));

    expect(report.clean.passed).toBe(true);
    expect(names(report.scenarios.filter((s) => s.passed))).toEqual([
      'before-call fixtures/jobs/transfer.ts:transfer',
      'before-line fixtures/jobs/transfer.ts:15',
      'before-line fixtures/jobs/transfer.ts:16',
      'before-call fixtures/jobs/bank.ts:debit',
      'before-line fixtures/jobs/bank.ts:35',
    ]);
    expect(names(report.scenarios.filter((s) => !s.passed))).toEqual(NAIVE_TRANSFER_FAILING);
    expect([report.passed, report.failed]).toEqual([5, 10]);

    const atLine17 = report.scenarios.find((s) => s.name === 'before-line fixtures/jobs/transfer.ts:17')!;
    expect(atLine17.glitch.executed).toBe(true);
    expect((atLine17.error as Error).message).toMatch(/alice.*80/s);
    // Attempt 1 failed with the glitch and was retried 1 s later.
    expect(atLine17.scenario!.performed.map((p) => [p.attempt, p.outcome, p.ranAt.getTime() - atLine17.scenario!.performed[0]!.ranAt.getTime()])).toEqual([
      [1, 'failed', 0],
      [2, 'completed', 1000],
    ]);
    expect(atLine17.scenario!.errors[0]).toBeInstanceOf(TransientError);
    expect(String(report)).toContain('✗ before-line fixtures/jobs/transfer.ts:17');
  });

  test('the safe transfer passes every scenario, after-line included', async () => {
    const queue = transferQueue();
    const report = await simulate(queue, {
      ...transferSimulation(queue, 'transfer-safe'),
      kinds: ['before-line', 'after-line', 'before-call', 'before-return'],
    });
    expect(report.clean.passed).toBe(true);
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(report.scenarios.length);
    // Every kind is covered, and the safe job's own check-before-write lines are among the points.
    expect(new Set(report.scenarios.map((s) => s.point.kind))).toEqual(new Set(['before-line', 'after-line', 'before-call', 'before-return']));
    expect(names(report.scenarios)).toContain('before-line fixtures/jobs/transfer-safe.ts:16');
    expect(names(report.scenarios)).toContain('after-line fixtures/jobs/bank.ts:35');
  });

  test('sample + seed pick the same subset every time, and another seed a different one', async () => {
    const queue = transferQueue();
    const options = transferSimulation(queue, 'transfer');
    const first = await simulate(queue, { ...options, sample: 6, seed: 42 });
    const again = await simulate(queue, { ...options, sample: 6, seed: 42 });
    const other = await simulate(queue, { ...options, sample: 6, seed: 7 });

    expect(first.scenarios).toHaveLength(6);
    expect(first.points).toHaveLength(15);
    expect(names(again.scenarios)).toEqual(names(first.scenarios));
    expect(names(other.scenarios)).not.toEqual(names(first.scenarios));
    // The subset keeps trace order.
    const order = names(first.points);
    const indices = names(first.scenarios).map((name) => order.indexOf(name));
    expect(indices).toEqual([...indices].sort((a, b) => a - b));
    // The same scenario gives the same verdict whether sampled or not.
    const full = await simulate(queue, options);
    const verdict = new Map(full.scenarios.map((s) => [s.name, s.passed]));
    for (const result of first.scenarios) expect(result.passed).toBe(verdict.get(result.name));
  });

  test('jobs enqueued by the job under test are traced and glitched too, in production order', async () => {
    const queue = new MemoryQueue();
    queue.define('onboard', onboard, onboardRetry);
    queue.define('welcome', welcome);
    queue.define('follow-up', followUp);
    const report = await simulate(queue, {
      reset: () => void (onboardingLog.length = 0),
      start: () => queue.enqueue('onboard', { user: 'ada' }),
      check: () => {
        expect(onboardingLog.filter((entry) => entry.job === 'follow-up')).toHaveLength(1);
        expect(onboardingLog.filter((entry) => entry.job === 'welcome')).toHaveLength(1);
      },
    });
    expect(report.clean.passed).toBe(true);
    expect(report.clean.run.performed.map((p) => `${p.name}#${p.attempt}`)).toEqual(['onboard#1', 'onboard#2', 'welcome#1', 'follow-up#1']);
    const followUpScenario = report.scenarios.find((s) => s.name === 'before-call fixtures/jobs/follow-up.ts:followUp')!;
    expect(followUpScenario.passed).toBe(true);
    expect(followUpScenario.scenario!.performed.map((p) => `${p.name}#${p.attempt} ${p.outcome}`)).toEqual([
      'onboard#1 failed',
      'onboard#2 completed',
      'welcome#1 completed',
      'follow-up#1 failed',
      'follow-up#2 completed',
    ]);
    // Failing after a job's side effect (its log entry; for onboard, enqueuing a welcome without a jobId) repeats it.
    expect(names(report.scenarios.filter((s) => !s.passed))).toEqual([
      'before-return fixtures/jobs/follow-up.ts:onboard',
      'before-return fixtures/jobs/follow-up.ts:welcome',
      'before-return fixtures/jobs/follow-up.ts:followUp',
    ]);
  });

  test('a check that fails the clean run is reported, and the scenarios still run', async () => {
    const queue = transferQueue();
    const report = await simulate(queue, {
      ...transferSimulation(queue, 'transfer-safe'),
      check: () => {
        throw new Error('wrong expectation');
      },
    });
    expect(report.clean.passed).toBe(false);
    expect((report.clean.error as Error).message).toBe('wrong expectation');
    expect(report.failed).toBe(report.scenarios.length);
    expect(report.scenarios.length).toBeGreaterThan(0);
  });
});

describe('runScenario', () => {
  test('records what ran and prints well', async () => {
    const queue = transferQueue();
    resetBank({ alice: 100, bob: 0 });
    const glitch = Glitch.beforeLine('transfer.ts:17');
    const scenario = await runScenario(queue, {
      glitch,
      start: () => queue.enqueue('transfer', { transferId: 't-1', from: 'alice', to: 'bob', amount: 10 }),
    });
    expect(scenario.glitch).toBe(glitch);
    expect(scenario.name).toBe('before-line transfer.ts:17');
    expect(scenario.executions).toBe(2);
    expect(balance('alice')).toBe(80);
    const text = String(scenario);
    expect(text).toContain('Scenario before-line transfer.ts:17 (glitch fired): 2 executions');
    expect(text).toMatch(/1\. transfer#1 attempt 1 at .*: failed \(TransientError: .*\), retry at \+1s/);
    expect(text).toContain('2. transfer#1 attempt 2 at +1s: completed');
  });

  test('a glitch that fires inside start is an error of the run, not of the setup', async () => {
    const queue = transferQueue();
    resetBank({ alice: 100, bob: 0 });
    const glitch = Glitch.beforeCall('bank.ts:hasEntry');
    const scenario = await runScenario(queue, {
      glitch,
      // Like a web request that checks the ledger, then enqueues: the glitch fails the request before it enqueues.
      start: async () => {
        if (!hasEntry('t-1:debit')) await queue.enqueue('transfer-safe', { transferId: 't-1', from: 'alice', to: 'bob', amount: 10 });
      },
    });
    expect(scenario.executions).toBe(0);
    expect(scenario.errors).toHaveLength(1);
    expect((scenario.errors[0] as TransientError).glitch).toBe(glitch);
    expect(balance('bob')).toBe(0);
  });

  test('any other error from start rejects the scenario', async () => {
    const queue = transferQueue();
    await expect(
      runScenario(queue, {
        glitch: Glitch.beforeLine('transfer.ts:16'),
        start: () => {
          throw new RangeError('bad test setup');
        },
      }),
    ).rejects.toThrow(RangeError);
  });

  test('a glitch that never fires rejects with GlitchNotExecutedError', async () => {
    const queue = transferQueue();
    resetBank({ alice: 100, bob: 0 });
    const error = await runScenario(queue, {
      glitch: Glitch.beforeCall('fixtures/jobs/bank.ts:emailSent'),
      start: () => queue.enqueue('transfer', { transferId: 't-1', from: 'alice', to: 'bob', amount: 10 }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GlitchNotExecutedError);
    expect((error as Error).message).toContain('emailSent');
  });

  test('a start that enqueues nothing rejects with NothingEnqueuedError', async () => {
    const queue = transferQueue();
    await expect(runScenario(queue, { glitch: Glitch.beforeLine('transfer.ts:16'), start: () => undefined })).rejects.toThrow(
      NothingEnqueuedError,
    );
    await expect(simulate(queue, { start: () => undefined, check: () => undefined })).rejects.toThrow(NothingEnqueuedError);
  });

  test('a simulation of code that is not instrumented rejects with NothingTracedError', async () => {
    const queue = new MemoryQueue();
    queue.define('plain', () => undefined);
    await expect(simulate(queue, { start: () => queue.enqueue('plain', null), check: () => undefined })).rejects.toThrow(
      NothingTracedError,
    );
  });

  test('malformed simulation options are named errors', async () => {
    const queue = transferQueue();
    const base = transferSimulation(queue, 'transfer');
    await expect(simulate(queue, { ...base, sample: 0 })).rejects.toThrow(InvalidOptionError);
    await expect(simulate(queue, { ...base, seed: 1.5 })).rejects.toThrow(/seed/);
    await expect(simulate(queue, { ...base, kinds: ['before-lunch' as 'before-line'] })).rejects.toThrow(/kinds/);
    await expect(simulate(queue, { ...base, check: undefined as never })).rejects.toThrow(/check/);
    await expect(runScenario(queue, { glitch: 'transfer.ts:16' as never, start: base.start })).rejects.toThrow(/glitch/);
  });
});
