import { describe, expect, it } from 'vitest';
import { withGlitch } from '../../runtime/probe/arm.js';
import { GlitchKeyTypeError, GlitchNotExecutedError, TransientError } from '../../runtime/probe/errors.js';
import { Glitch } from '../../runtime/probe/glitch.js';
import { BANK, loadInstrumented, deferred, host, type Bank } from './support.js';

const bank = await loadInstrumented<Bank>(BANK);

/** Runs `fn` and returns what it threw (or undefined). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('Glitch', () => {
  it('names itself by kind and key, with matchers when given', () => {
    expect(String(Glitch.beforeLine('fixtures/jobs/transfer.ts:14'))).toBe('before-line fixtures/jobs/transfer.ts:14');
    expect(Glitch.afterLine('a.ts:3').kind).toBe('after-line');
    expect(String(Glitch.beforeCall('debit', 'acct-1', /x/))).toBe("before-call debit('acct-1', /x/)");
    expect(String(Glitch.beforeReturn('parity', 'odd'))).toBe("before-return parity => 'odd'");
    expect(Glitch.beforeReturn('parity').executed).toBe(false);
  });

  it('rejects a non-string or empty key at construction with a named TypeError', () => {
    for (const make of [
      () => Glitch.beforeLine(14 as unknown as string),
      () => Glitch.afterLine(undefined as unknown as string),
      () => Glitch.beforeCall({} as unknown as string),
      () => Glitch.beforeReturn(''),
    ]) {
      const error = thrown(make);
      expect(error).toBeInstanceOf(GlitchKeyTypeError);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/Glitch\.\w+\(key\): the key must be a non-empty string/);
    }
  });
});

describe('withGlitch at lines', () => {
  it('before-line throws before the statement runs', async () => {
    const glitch = Glitch.beforeLine(`${BANK}:10`);
    const before = bank.ledger.length;
    await withGlitch(glitch, () => {
      expect(thrown(() => bank.debit('before-line', 1))).toBeInstanceOf(TransientError);
    });
    expect(glitch.executed).toBe(true);
    expect(bank.ledger.slice(before)).toEqual([]);
  });

  it('after-line throws after the statement completed', async () => {
    const glitch = Glitch.afterLine('fixtures/bank.js:10');
    const before = bank.ledger.length;
    await withGlitch(glitch, () => {
      const error = thrown(() => bank.debit('after-line', 2));
      expect(error).toBeInstanceOf(TransientError);
      expect((error as TransientError).glitch).toBe(glitch);
    });
    expect(glitch.executed).toBe(true);
    expect(bank.ledger.slice(before)).toEqual([['debit', 'after-line', 2]]);
  });

  it('after-line fires after any statement starting on the line', async () => {
    const glitch = Glitch.afterLine('fixtures/bank.js:6');
    const before = bank.ledger.length;
    await withGlitch(glitch, async () => {
      await expect(bank.transfer('a', 'b', 3, async () => {})).rejects.toBeInstanceOf(TransientError);
    });
    // The first statement on line 6 (credit) completed; the second one never ran.
    expect(bank.ledger.slice(before)).toEqual([
      ['debit', 'a', 3],
      ['credit', 'b', 3],
    ]);
  });

  it('fires once, then the code runs normally', async () => {
    const glitch = Glitch.beforeLine('fixtures/bank.js:10');
    const before = bank.ledger.length;
    await withGlitch(glitch, () => {
      expect(thrown(() => bank.debit('once', 1))).toBeInstanceOf(TransientError);
      expect(thrown(() => bank.debit('once', 2))).toBeUndefined();
      expect(thrown(() => bank.debit('once', 3))).toBeUndefined();
    });
    expect(bank.ledger.slice(before)).toEqual([
      ['debit', 'once', 2],
      ['debit', 'once', 3],
    ]);
  });

  it('does nothing outside withGlitch, and leaves executed false when never reached', async () => {
    const glitch = Glitch.beforeLine('fixtures/bank.js:13');
    await withGlitch(glitch, () => bank.debit('not-credit', 1));
    expect(glitch.executed).toBe(false);
    expect(thrown(() => bank.credit('after-arming', 1))).toBeUndefined();
    expect(host().on).toBe(0);
  });

  it('re-arming a glitch resets executed', async () => {
    const glitch = Glitch.beforeCall('fixtures/bank.js:credit');
    await withGlitch(glitch, () => thrown(() => bank.credit('x', 1)));
    expect(glitch.executed).toBe(true);
    await withGlitch(glitch, () => undefined);
    expect(glitch.executed).toBe(false);
  });
});

describe('withGlitch at calls', () => {
  it('fires only when the positional arguments match (value, predicate)', async () => {
    const glitch = Glitch.beforeCall('fixtures/bank.js:debit', 'acct-1', (n: unknown) => (n as number) > 10);
    const before = bank.ledger.length;
    await withGlitch(glitch, () => {
      expect(thrown(() => bank.debit('acct-1', 5))).toBeUndefined();
      expect(thrown(() => bank.debit('acct-2', 50))).toBeUndefined();
      expect(glitch.executed).toBe(false);
      expect(thrown(() => bank.debit('acct-1', 50))).toBeInstanceOf(TransientError);
    });
    expect(glitch.executed).toBe(true);
    expect(bank.ledger.slice(before)).toEqual([
      ['debit', 'acct-1', 5],
      ['debit', 'acct-2', 50],
    ]);
  });

  it('tests a RegExp against string arguments only', async () => {
    const glitch = Glitch.beforeCall('fixtures/bank.js:debit', /^acct-/g);
    await withGlitch(glitch, () => {
      expect(thrown(() => bank.debit(42, 1))).toBeUndefined();
      expect(thrown(() => bank.debit('x-acct-1', 1))).toBeUndefined();
      expect(thrown(() => bank.debit('acct-9', 1))).toBeInstanceOf(TransientError);
    });
  });

  it('compares other matchers by deep equality', async () => {
    const glitch = Glitch.beforeCall('fixtures/bank.js:debit', { id: 1, tags: ['a'] });
    await withGlitch(glitch, () => {
      expect(thrown(() => bank.debit({ id: 1, tags: ['b'] }, 1))).toBeUndefined();
      expect(thrown(() => bank.debit({ id: 1, tags: ['a'] }, 1))).toBeInstanceOf(TransientError);
    });
  });

  it('resolves Class#method and Class.method keys', async () => {
    const statik = Glitch.beforeCall('Account.open', 'jill');
    await withGlitch(statik, () => {
      expect(bank.Account.open('jack').name).toBe('jack');
      expect(thrown(() => bank.Account.open('jill'))).toBeInstanceOf(TransientError);
    });
    const method = Glitch.beforeCall('Account#debit');
    const account = bank.Account.open('jill');
    await withGlitch(method, () => {
      expect(thrown(() => account.debit(1))).toBeInstanceOf(TransientError);
    });
  });
});

describe('withGlitch at returns', () => {
  it('on an in-flight promise, fails the caller once that work has settled, with no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const glitch = Glitch.beforeReturn('later');
      let settled = false;
      const failing = () =>
        new Promise<never>((_, reject) =>
          setTimeout(() => {
            settled = true;
            reject(new Error('the work failed'));
          }, 5),
        );
      let returned: Promise<unknown> | undefined;
      await withGlitch(glitch, async () => {
        returned = bank.later(failing) as Promise<unknown>;
        const outcome = await returned.then(() => 'resolved', (error: unknown) => error);
        // The work ran to its end before the caller saw the glitch's error: none of it is left running.
        expect(settled).toBe(true);
        expect(outcome).toBeInstanceOf(TransientError);
      });
      expect(glitch.executed).toBe(true);
      await new Promise((r) => setTimeout(r, 30));
      expect(unhandled).toEqual([]);
      // Without a glitch the caller sees the work's own rejection.
      await expect(bank.later(failing)).rejects.toThrow('the work failed');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('fires only when the returned value matches', async () => {
    const glitch = Glitch.beforeReturn('parity', 'odd');
    await withGlitch(glitch, () => {
      expect(bank.parity(2)).toBe('even');
      expect(glitch.executed).toBe(false);
      expect(thrown(() => bank.parity(3))).toBeInstanceOf(TransientError);
      expect(bank.parity(5)).toBe('odd');
    });
  });

  it('matches any value without a matcher, and only undefined with an explicit undefined', async () => {
    const any = Glitch.beforeReturn('parity');
    await withGlitch(any, () => {
      expect(thrown(() => bank.parity(2))).toBeInstanceOf(TransientError);
    });
    const undef = Glitch.beforeReturn('parity', undefined);
    await withGlitch(undef, () => {
      expect(bank.parity(2)).toBe('even');
      expect(bank.parity(3)).toBe('odd');
    });
    expect(undef.executed).toBe(false);
    const implicit = Glitch.beforeReturn('fixtures/bank.js:credit', undefined);
    await withGlitch(implicit, () => {
      expect(thrown(() => bank.credit('implicit', 1))).toBeInstanceOf(TransientError);
    });
  });

  it('rejects an async function at its return', async () => {
    const glitch = Glitch.beforeReturn('transfer', (v: unknown) => typeof v === 'string' && v.startsWith('x->'));
    await withGlitch(glitch, async () => {
      await expect(bank.transfer('y', 'z', 1, async () => {})).resolves.toBe('y->z:1');
      await expect(bank.transfer('x', 'z', 1, async () => {})).rejects.toBeInstanceOf(TransientError);
    });
  });
});

describe('async-context isolation', () => {
  it('glitches only the execution inside withGlitch, with both interleaved', async () => {
    const outsideGate = deferred();
    const insideGate = deferred();
    const before = bank.ledger.length;
    // Started outside the armed context; parks at its await.
    const outside = bank.settle('charge', () => outsideGate.promise);
    const glitch = Glitch.beforeCall('fixtures/bank.js:debit');
    const inside = withGlitch(glitch, async () => {
      const mine = bank.settle('charge', () => insideGate.promise);
      // The outside execution reaches debit() while the glitch is armed.
      outsideGate.resolve();
      await expect(outside).resolves.toBe('charge');
      expect(glitch.executed).toBe(false);
      insideGate.resolve();
      return mine;
    });
    await expect(inside).rejects.toBeInstanceOf(TransientError);
    expect(glitch.executed).toBe(true);
    expect(bank.ledger.slice(before)).toEqual([['debit', 'charge', 1]]);
    expect(host().on).toBe(0);
  });

  it('keeps two concurrent withGlitch runs of the same key independent', async () => {
    const gateA = deferred();
    const gateB = deferred();
    const a = Glitch.beforeCall('fixtures/bank.js:credit', 'refund');
    const b = Glitch.beforeReturn('fixtures/bank.js:settle', 'refund');
    const runA = withGlitch(a, () => bank.settle('refund', () => gateA.promise));
    const runB = withGlitch(b, () => bank.settle('refund', () => gateB.promise));
    gateB.resolve();
    await expect(runB).rejects.toBeInstanceOf(TransientError);
    gateA.resolve();
    const error = await runA.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).glitch).toBe(a);
    expect([a.executed, b.executed]).toEqual([true, true]);
  });
});

describe('TransientError', () => {
  it("starts its stack at the instrumented line", async () => {
    const glitch = Glitch.beforeLine('fixtures/bank.js:4');
    const error = await withGlitch(glitch, () => bank.transfer('s', 't', 1, async () => {}).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(TransientError);
    const frames = (error as Error).stack!.split('\n').filter((line) => line.trimStart().startsWith('at '));
    expect(frames[0]).toMatch(/\bat (Module\.)?transfer \(.*\/bank\.js:4:\d+\)$/);
    expect((error as Error).message).toContain(`before-line fixtures/bank.js:4`);
  });

  it('starts its stack at the called function when a before-call glitch matches arguments', async () => {
    const glitch = Glitch.beforeCall('fixtures/bank.js:debit', 'acct-3');
    const error = await withGlitch(glitch, () => thrown(() => bank.debit('acct-3', 1)));
    expect(error).toBeInstanceOf(TransientError);
    const frames = (error as Error).stack!.split('\n').filter((line) => line.trimStart().startsWith('at '));
    expect(frames[0]).toMatch(/\bat (Module\.)?debit \(.*\/bank\.js:9:\d+\)$/);
  });

  it('points at the original line of an instrumented TypeScript file', async () => {
    const fees = await loadInstrumented<typeof import('./fixtures/fees.js')>('test/runtime/fixtures/fees.ts');
    const glitch = Glitch.afterLine('fees.ts:8');
    const error = await withGlitch(glitch, () => thrown(() => fees.chargeFee({ account: 'a', cents: 5 })));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).stack!.split('\n')[1]).toMatch(/\bat (Module\.)?chargeFee \(.*\/fees\.ts:8:\d+\)$/);
    await withGlitch(Glitch.beforeReturn('chargeFee', 20), () => {
      expect(fees.chargeFee({ account: 'a', cents: 5 })).toBe(10);
      expect(() => fees.chargeFee({ account: 'a', cents: 10 })).toThrow(TransientError);
    });
  });

  it('GlitchNotExecutedError names its glitch', () => {
    const glitch = Glitch.beforeCall('debit', 'nobody');
    const error = new GlitchNotExecutedError(glitch);
    expect(error.glitch).toBe(glitch);
    expect(error.message).toContain("before-call debit('nobody')");
  });
});
