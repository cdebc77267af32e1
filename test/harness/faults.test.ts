/**
 * Faults beyond a transient error (issue 15) on MemoryQueue: the fluent
 * variants and their bad input, `raise` retried as the job's own error,
 * `run` injecting code at a point, and `crash` killing the execution there —
 * no catch, finally or continuation of it runs — with the stalled job
 * re-delivered after its stall timeout on the virtual clock, or failed past
 * its stall limit.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  CrashOutsideJobError,
  CrashSignal,
  Glitch,
  GlitchFaultError,
  GlitchNotExecutedError,
  InvalidDurationError,
  InvalidOptionError,
  JobFailedError,
  MemoryQueue,
  pgBoss,
  restoreRealClock,
  runScenario,
  simulate,
  TransientError,
  GlitchRunError,
  JobStalledError,
  type JobHandler,
  type Scenario,
} from '../../runtime/index.js';
import { account, forks, guarded, log, queuesCallbacks, startsTimer, waitsForGate, withdraw } from '../../fixtures/jobs/faults.js';
import { runtimeState } from '../../runtime/probe/index.js';
import { locks, posted, settleAccount } from '../../fixtures/jobs/locked.js';

const FAULTS = 'fixtures/jobs/faults.ts';
const LOCKED = 'fixtures/jobs/locked.ts';

/** The line of `file` carrying `// mark: name`. */
function marked(file: string, name: string): string {
  const index = readFileSync(file, 'utf8').split('\n').findIndex((line) => line.endsWith(`// mark: ${name}`));
  if (index < 0) throw new Error(`no mark ${name} in ${file}`);
  return `${file}:${index + 1}`;
}

/** The line of `file` whose trimmed text is `text`. */
function lineOf(file: string, text: string): number {
  const index = readFileSync(file, 'utf8').split('\n').findIndex((line) => line.trim() === text);
  if (index < 0) throw new Error(`no line ${text} in ${file}`);
  return index + 1;
}

afterEach(() => restoreRealClock());
beforeEach(() => {
  log.length = 0;
  account.balance = 100;
  locks.clear();
  posted.length = 0;
});

class RateLimitError extends Error {
  override name = 'RateLimitError';
  constructor(message = 'HTTP 429') {
    super(message);
  }
}

const oneJob = (handler: JobHandler, options: Parameters<MemoryQueue['define']>[2] = {}) => {
  const queue = new MemoryQueue().define('job', handler, options);
  return { queue, start: () => queue.enqueue('job', { amount: 10 }) };
};

const offsets = (scenario: Scenario) => scenario.performed.map((p) => p.ranAt.getTime() - scenario.performed[0]!.ranAt.getTime());

describe('fluent variants', () => {
  test('crash, raise and run make a new glitch at the same point; the original stays transient', () => {
    const plain = Glitch.beforeCall('withdraw', 1);
    const crash = plain.crash();
    const raise = plain.raise(new RateLimitError());
    const run = plain.run(() => {});
    expect([plain.fault, crash.fault, raise.fault, run.fault]).toEqual(['transient', 'crash', 'raise', 'run']);
    for (const variant of [crash, raise, run]) {
      expect(variant).toBeInstanceOf(Glitch);
      expect(variant).not.toBe(plain);
      expect([variant.kind, variant.key, variant.executed]).toEqual(['before-call', 'withdraw', false]);
    }
    expect(String(plain)).toBe('before-call withdraw(1)');
    expect(String(crash)).toBe('crash before-call withdraw(1)');
    expect(String(raise)).toBe('raise before-call withdraw(1)');
    expect(String(Glitch.afterLine('a.ts:3').run(() => {}))).toBe('run after-line a.ts:3');
  });

  test('bad input throws GlitchFaultError', () => {
    const crash = Glitch.beforeLine('a.ts:1').crash();
    expect(() => crash.crash()).toThrow(GlitchFaultError);
    expect(() => crash.crash()).toThrow(/already has the fault "crash".*Glitch\.beforeLine\(key\)\.crash/);
    expect(() => Glitch.beforeLine('a.ts:1').raise(new Error('x')).run(() => {})).toThrow(/already has the fault "raise"/);
    for (const bad of ['boom', 42, { message: 'not an error' }, null, undefined]) {
      expect(() => Glitch.beforeLine('a.ts:1').raise(bad as never)).toThrow(GlitchFaultError);
    }
    expect(() => Glitch.beforeLine('a.ts:1').raise('boom' as never)).toThrow(/error must be an Error, an Error class or a function returning an Error, got the string "boom"/);
    expect(() => Glitch.beforeLine('a.ts:1').run('code' as never)).toThrow(GlitchFaultError);
    expect(new GlitchFaultError('x')).toBeInstanceOf(TypeError);
  });
});

describe('raise', () => {
  const write = () => Glitch.beforeLine(marked(FAULTS, 'withdraw-write'));

  test.each([
    ['an instance', (e: RateLimitError) => e, true],
    ['a class', () => RateLimitError, false],
    ['a factory', () => () => new RateLimitError('from factory'), false],
  ] as const)('with %s: throws the user error, retried as the job own backoff says', async (_, input, same) => {
    const instance = new RateLimitError();
    const { queue, start } = oneJob(withdraw, { attempts: 2, backoff: 5000 });
    const glitch = write().raise(input(instance) as never);
    const scenario = await runScenario(queue, { glitch, start });
    expect(glitch.executed).toBe(true);
    expect(scenario.performed.map((p) => p.outcome)).toEqual(['failed', 'completed']);
    const error = scenario.performed[0]!.error;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).not.toBeInstanceOf(TransientError);
    if (same) expect(error).toBe(instance);
    // The job's own backoff, not the harness's 1 s transient retry.
    expect(offsets(scenario)).toEqual([0, 5000]);
    expect(account.balance).toBe(90);
  });

  test('a job without attempts left fails for good with the raised error', async () => {
    const { queue, start } = oneJob(withdraw);
    const rejection = runScenario(queue, { glitch: write().raise(RateLimitError), start });
    await expect(rejection).rejects.toBeInstanceOf(JobFailedError);
    await expect(rejection).rejects.toMatchObject({ attempts: 1, lastError: expect.any(RateLimitError) });
  });

  test('a factory that returns a non-error fails the attempt with GlitchFaultError', async () => {
    const { queue, start } = oneJob(withdraw);
    const rejection = runScenario(queue, { glitch: write().raise((() => 'nope') as never), start });
    await expect(rejection).rejects.toMatchObject({ lastError: expect.any(GlitchFaultError) });
    await expect(rejection).rejects.toThrow(/the factory must return an Error, it returned the string "nope"/);
  });
});

describe('run', () => {
  const write = () => Glitch.beforeLine(marked(FAULTS, 'withdraw-write'));

  test('a sync function runs at the point, inside the execution, and the job carries on: the rival write is lost', async () => {
    const { queue, start } = oneJob(withdraw);
    let sawJobRunning = false;
    const glitch = write().run(() => {
      sawJobRunning = queue.enqueued.length === 0 && account.balance === 100;
      account.balance += 50; // a rival deposit between the job's read and its write
    });
    const scenario = await runScenario(queue, { glitch, start });
    expect(glitch.executed).toBe(true);
    expect(sawJobRunning).toBe(true);
    expect(scenario.performed.map((p) => p.outcome)).toEqual(['completed']);
    expect(account.balance).toBe(90); // the deposit is lost: what the run fault is for finding
  });

  test('an async function is awaited before the execution counts as ended', async () => {
    const { queue, start } = oneJob(withdraw);
    const glitch = write().run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      log.push('rival committed');
    });
    const scenario = await runScenario(queue, { glitch, start });
    expect(log).toEqual(['rival committed']);
    expect(scenario.performed.map((p) => p.outcome)).toEqual(['completed']);
  });

  test.each([
    ['throws', () => { throw new RangeError('rival broke'); }],
    ['rejects', async () => { throw new RangeError('rival broke'); }],
  ])('a function that %s fails the scenario with GlitchRunError, not the job', async (_, fn) => {
    const { queue, start } = oneJob(withdraw);
    const glitch = write().run(fn);
    const rejection = runScenario(queue, { glitch, start });
    await expect(rejection).rejects.toBeInstanceOf(GlitchRunError);
    const error = (await rejection.catch((e: unknown) => e)) as GlitchRunError;
    expect(error.cause).toBeInstanceOf(RangeError);
    expect(error.message).toMatch(/The run function of glitch run before-line fixtures\/jobs\/faults\.ts:\d+ failed: RangeError: rival broke/);
    expect(error.run?.performed.map((p) => p.outcome)).toEqual(['completed']);
    expect(account.balance).toBe(90);
  });
});

describe('crash', () => {
  test('neither catch nor finally runs; the driver records no outcome; the job is re-delivered after the stall timeout', async () => {
    const { queue, start } = oneJob(guarded);
    const scenario = await runScenario(queue, { glitch: Glitch.beforeLine(marked(FAULTS, 'guarded-after-tick')).crash(), start });
    expect(scenario.performed.map((p) => [p.attempt, p.outcome])).toEqual([[1, 'crashed'], [1, 'completed']]);
    expect(scenario.performed[0]).not.toHaveProperty('error');
    // BullMQ's lockDuration: 30 s of virtual time, the same attempt again (a stall is not an attempt).
    expect(offsets(scenario)).toEqual([0, 30_000]);
    expect(scenario.performed[0]!.retryAt?.getTime()).toBe(scenario.performed[1]!.ranAt.getTime());
    expect(log).toEqual(['try', 'try', 'after tick', 'finally']);
    expect(String(scenario)).toMatch(/attempt 1 at .*: crashed \(worker died; stalled job re-delivered at \+30s\)/);
  });

  test('stalledAfter per job, and the pg-boss preset re-delivers after expireInSeconds as the next attempt', async () => {
    const glitch = () => Glitch.beforeLine(marked(FAULTS, 'guarded-after-tick')).crash();
    const own = oneJob(guarded, { stalledAfter: '5s' });
    expect(offsets(await runScenario(own.queue, { glitch: glitch(), start: own.start }))).toEqual([0, 5000]);
    const boss = oneJob(guarded, { retry: pgBoss({ retryLimit: 1, expireInSeconds: 60 }) });
    const scenario = await runScenario(boss.queue, { glitch: glitch(), start: boss.start });
    expect(offsets(scenario)).toEqual([0, 60_000]);
    expect(scenario.performed.map((p) => [p.attempt, p.outcome])).toEqual([[1, 'crashed'], [2, 'completed']]);
    const pgDefault = oneJob(guarded, { retry: 'pgBoss' });
    expect(offsets(await runScenario(pgDefault.queue, { glitch: glitch(), start: pgDefault.start }))).toEqual([0, 15 * 60_000]);
  });

  test('past the stall limit the job fails for good: JobFailedError naming JobStalledError, at the stall check', async () => {
    const glitch = () => Glitch.beforeLine(marked(FAULTS, 'guarded-after-tick')).crash();
    const bull = oneJob(guarded, { maxStalled: 0 });
    const rejection = runScenario(bull.queue, { glitch: glitch(), start: bull.start });
    await expect(rejection).rejects.toBeInstanceOf(JobFailedError);
    const error = (await rejection.catch((e: unknown) => e)) as JobFailedError;
    expect(error.lastError).toBeInstanceOf(JobStalledError);
    expect(error.message).toMatch(/Job job#1 failed for good .*JobStalledError: Job job#1 attempt 1 job stalled more than allowable limit/);
    expect(error.run?.performed.map((p) => p.outcome)).toEqual(['crashed', 'failed']);
    expect(offsets(error.run as Scenario)).toEqual([0, 30_000]);
    expect(log).toEqual(['try']); // the handler never ran again

    const boss = oneJob(guarded, { retry: pgBoss({ retryLimit: 0 }) });
    await expect(runScenario(boss.queue, { glitch: glitch(), start: boss.start })).rejects.toThrow(/expired in active state with no retries left/);
  });

  test('a crash fires only inside job executions: a point reached only in start runs on there, and the run rejects with CrashOutsideJobError', async () => {
    const glitch = () => Glitch.beforeLine(marked(FAULTS, 'guarded-after-tick')).crash();
    const queue = new MemoryQueue().define('job', withdraw);
    const rejection = runScenario(queue, { glitch: glitch(), start: async () => (await guarded(), queue.enqueue('job', { amount: 10 })) });
    await expect(rejection).rejects.toBeInstanceOf(CrashOutsideJobError);
    // It never fired: the one error runScenario promises for that, more precisely.
    await expect(rejection).rejects.toBeInstanceOf(GlitchNotExecutedError);
    const error = (await rejection.catch((e: unknown) => e)) as CrashOutsideJobError;
    expect(error.message).toMatch(/glitch crash before-line fixtures\/jobs\/faults\.ts:\d+ never fired: its point ran only outside job executions .*a crash fires only inside job executions/);
    expect(error.glitch.fault).toBe('crash');
    // start's own call ran through untouched.
    expect(log).toEqual(['try', 'after tick', 'finally']);
    // The job start enqueued still ran, once; nothing crashed.
    expect(account.balance).toBe(90);
    expect((error as unknown as { run: Scenario }).run.performed.map((p) => p.outcome)).toEqual(['completed']);
  });

  test('a point reached in start and in the job crashes the job, not start', async () => {
    const queue = new MemoryQueue().define('job', guarded);
    const glitch = Glitch.beforeLine(marked(FAULTS, 'guarded-after-tick')).crash();
    const scenario = await runScenario(queue, { glitch, start: async () => (await guarded(), queue.enqueue('job', {})) });
    expect(glitch.executed).toBe(true);
    expect(scenario.performed.map((p) => p.outcome)).toEqual(['crashed', 'completed']);
    expect(log).toEqual(['try', 'after tick', 'finally', 'try', 'try', 'after tick', 'finally']);
  });

  test('simulate offers crash scenarios only at points that ran inside a job; start-only points get transient ones', async () => {
    const queue = new MemoryQueue().define('job', withdraw);
    const report = await simulate(queue, {
      reset: () => {
        log.length = 0;
        account.balance = 100;
      },
      start: async () => (await guarded(), queue.enqueue('job', { amount: 10 })),
      check: () => expect(account.balance).toBe(90),
      faults: ['transient', 'crash'],
    });
    const guardedLines = new Set([lineOf(FAULTS, "log.push('try');"), lineOf(FAULTS, "log.push('after tick'); // mark: guarded-after-tick")]);
    const lineOfName = (name: string) => Number(/:(\d+)$/.exec(name)?.[1]);
    const crashes = report.scenarios.filter((s) => s.glitch.fault === 'crash');
    const transients = report.scenarios.filter((s) => s.glitch.fault === 'transient');
    expect(transients.some((s) => guardedLines.has(lineOfName(s.name)))).toBe(true);
    expect(crashes.length).toBeGreaterThan(0);
    expect(crashes.filter((s) => guardedLines.has(lineOfName(s.name)))).toEqual([]);
    expect(crashes.every((s) => s.name.includes(FAULTS))).toBe(true);
    expect(report.clean.sites.find((s) => s.kind === 'line' && s.line === lineOf(FAULTS, "log.push('try');"))?.inJob).toBe(false);
    expect(report.clean.sites.find((s) => s.kind === 'line' && s.line === lineOf(FAULTS, 'const before = account.balance;'))?.inJob).toBe(true);
    // Each crash fired inside the job (none is CrashOutsideJobError); the transient ones in start fail as start failing should.
    expect(crashes.filter((s) => !s.glitch.executed || s.error instanceof GlitchNotExecutedError)).toEqual([]);
  });

  test('a tick and a microtask it queued before the crash run none of its code and raise no uncaught exception', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    // Vitest's own listener would fail the file on one; this one lets the test say what happened.
    const listeners = process.rawListeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      const { queue, start } = oneJob(queuesCallbacks);
      const scenario = await runScenario(queue, { glitch: Glitch.afterLine(marked(FAULTS, 'callbacks-queued')).crash(), start, settleTimeoutMs: 200 });
      expect(scenario.performed.map((p) => p.outcome)).toEqual(['crashed', 'completed']);
      await new Promise((resolve) => setImmediate(resolve));
      // The crashed execution's callbacks stopped at their first probe; the re-delivered one's ran.
      expect(log).toEqual(['queued', 'queued', 'microtask', 'tick']);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const listener of listeners) process.on('uncaughtException', listener as (error: Error) => void);
    }
  });

  test('the continuation of work it started never runs, and nothing is reported as leftover or unhandled', async () => {
    const { queue, start } = oneJob(forks);
    const scenario = await runScenario(queue, { glitch: Glitch.beforeLine(marked(FAULTS, 'forks-forked')).crash(), start, settleTimeoutMs: 200 });
    expect(scenario.performed.map((p) => p.outcome)).toEqual(['crashed', 'completed']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Only the re-delivered execution forked and finished its background work.
    expect(log).toEqual(['forked', 'background']);
  });

  test('work of a crashed execution that resumes after its run ends runs none of its code, leaks nothing and is then forgotten', async () => {
    let open!: () => void;
    const inFlight = new Promise<void>((resolve) => (open = resolve));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // Earlier crashes' abandoned promises are forgotten after their settleTimeoutMs at the latest.
      await expect.poll(() => runtimeState.executing, { timeout: 10_000 }).toBe(0);
      let calls = 0;
      const { queue, start } = oneJob(() => waitsForGate(calls++ === 0 ? inFlight : Promise.resolve()));
      const scenario = await runScenario(queue, { glitch: Glitch.beforeLine(marked(FAULTS, 'gate-waiting')).crash(), start, settleTimeoutMs: 200 });
      expect(scenario.performed.map((p) => p.outcome)).toEqual(['crashed', 'completed']);
      expect(log).toEqual(['waiting', 'after gate']);
      // The crashed execution still waits on its answer: probes keep checking the poison meanwhile.
      expect(runtimeState.executing).toBe(1);
      open(); // the answer arrives, in whatever run comes next
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(log).toEqual(['waiting', 'after gate']);
      expect(unhandled).toEqual([]);
      expect(runtimeState.executing).toBe(0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('its timers die with it', async () => {
    const { queue, start } = oneJob(startsTimer);
    await runScenario(queue, { glitch: Glitch.beforeLine(marked(FAULTS, 'timer-set')).crash(), start });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(log).toEqual(['timer set', 'timer']);
  });

  test('uninstrumented code that catches the signal cannot revive the execution', async () => {
    const swallowing: JobHandler = async (job) => {
      try {
        await guarded();
      } catch (error) {
        expect(error).toBeInstanceOf(CrashSignal);
        return 'swallowed';
      }
      return job.attempt;
    };
    const { queue, start } = oneJob(swallowing);
    const scenario = await runScenario(queue, { glitch: Glitch.beforeLine(marked(FAULTS, 'guarded-after-tick')).crash(), start });
    expect(scenario.performed.map((p) => p.outcome)).toEqual(['crashed', 'completed']);
  });
});

describe('simulate with faults', () => {
  const locked = () => {
    const queue = new MemoryQueue().define('settle', settleAccount);
    return {
      queue,
      options: {
        reset: () => {
          locks.clear();
          posted.length = 0;
        },
        start: () => queue.enqueue('settle', { account: 'a' }),
        check: () => {
          expect(posted).toEqual(['a:settled']);
        },
      },
    };
  };

  test('a try/finally job passes every transient scenario and fails exactly the crash scenarios inside the try', async () => {
    const { queue, options } = locked();
    const report = await simulate(queue, { ...options, faults: ['transient', 'crash'] });
    const transient = report.scenarios.filter((s) => s.glitch.fault === 'transient');
    const crash = report.scenarios.filter((s) => s.glitch.fault === 'crash');
    expect(transient.length).toBeGreaterThan(5);
    expect(crash.map((s) => s.name)).toEqual(transient.map((s) => `crash ${s.name}`));
    expect(transient.filter((s) => !s.passed).map((s) => s.name)).toEqual([]);
    // Exactly where the lock is held and the settlement not yet posted: inside the try, and in the post it awaits.
    const postLine = lineOf(LOCKED, 'await post(`${account}:settled`);');
    const tickLine = lineOf(LOCKED, 'await nextTurn();');
    const pushLine = lineOf(LOCKED, 'if (!posted.includes(ref)) posted.push(ref);');
    const failed = crash.filter((s) => !s.passed);
    expect(failed.map((s) => s.name).sort()).toEqual(
      [`crash before-line ${LOCKED}:${postLine}`, `crash before-call ${LOCKED}:post`, `crash before-line ${LOCKED}:${tickLine}`, `crash before-line ${LOCKED}:${pushLine}`].sort(),
    );
    for (const s of failed) {
      expect(s.error).toBeInstanceOf(Error);
      expect((s.error as Error).name).toBe('AssertionError'); // the settlement was lost: check caught it
      expect(s.scenario?.performed.map((p) => p.outcome)).toEqual(['crashed', 'completed']);
    }
    expect(String(report)).toMatch(new RegExp(`✗ crash before-line ${LOCKED}:${postLine}\\n\\s+glitch: crash before-line at ${LOCKED}:${postLine}\\n\\s+line ${postLine}: await post`));
    expect(String(report)).toMatch(/settle#1 attempt 1 at .*: crashed \(worker died; stalled job re-delivered at \+30s\)\n.*settle#1 attempt 1 at \+30s: completed/);
  });

  test('faults default to transient; an unknown or argument-taking fault is InvalidOptionError', async () => {
    const { queue, options } = locked();
    const report = await simulate(queue, options);
    expect(report.scenarios.every((s) => s.glitch.fault === 'transient' && !s.name.startsWith('crash'))).toBe(true);
    for (const faults of [['explode'], ['raise'], [], 'crash']) {
      await expect(simulate(queue, { ...options, faults: faults as never })).rejects.toThrow(InvalidOptionError);
    }
    await expect(simulate(queue, { ...options, faults: ['raise'] })).rejects.toThrow(/Invalid option faults: .*transient, crash \(raise and run take an error or a function/);
  });

  test('stall options are checked when the job is defined', () => {
    expect(() => new MemoryQueue().define('x', () => {}, { maxStalled: -1 })).toThrow(InvalidOptionError);
    expect(() => new MemoryQueue().define('x', () => {}, { maxStalled: 1.5 })).toThrow(/maxStalled of x/);
    expect(() => new MemoryQueue().define('x', () => {}, { stalledAfter: 'soon' })).toThrow(InvalidDurationError);
  });
});
