import { describe, expect, it } from 'vitest';
import { withGlitch } from '../../runtime/probe/arm.js';
import { TransientError } from '../../runtime/probe/errors.js';
import { Glitch } from '../../runtime/probe/glitch.js';
import { trace, traceSites } from '../../runtime/probe/trace.js';
import { BANK, loadInstrumented, deferred, host, type Bank } from './support.js';

const bank = await loadInstrumented<Bank>(BANK);

const TRANSFER_EVENTS = [
  { kind: 'call', key: `${BANK}:transfer` },
  { kind: 'line', key: `${BANK}:4` },
  { kind: 'call', key: `${BANK}:debit` },
  { kind: 'line', key: `${BANK}:10` },
  { kind: 'return', key: `${BANK}:debit` },
  { kind: 'line', key: `${BANK}:5` },
  // The await point, once its operand (`pause()`) was evaluated.
  { kind: 'await', key: `${BANK}:5` },
  { kind: 'line', key: `${BANK}:6` },
  { kind: 'call', key: `${BANK}:credit` },
  { kind: 'line', key: `${BANK}:13` },
  { kind: 'return', key: `${BANK}:credit` },
  { kind: 'line', key: `${BANK}:7` },
  { kind: 'return', key: `${BANK}:transfer` },
];

describe('trace', () => {
  it('records each distinct point once, in first-execution order, with fully qualified keys', async () => {
    const events = await trace(async () => {
      await bank.transfer('a', 'b', 1, async () => {});
      await bank.transfer('c', 'd', 2, async () => {});
    });
    expect(events).toEqual(TRANSFER_EVENTS);
    expect(host().on).toBe(0);
  });

  it('records again in a later trace (per-trace generations)', async () => {
    const first = await trace(() => bank.transfer('a', 'b', 1, async () => {}));
    const second = await trace(() => bank.transfer('a', 'b', 1, async () => {}));
    expect(first).toEqual(TRANSFER_EVENTS);
    expect(second).toEqual(TRANSFER_EVENTS);
  });

  it('records nothing for code outside the run, even when it runs during the trace', async () => {
    const outsideGate = deferred();
    const insideGate = deferred();
    const before = bank.ledger.length;
    const outside = bank.settle('refund', () => outsideGate.promise);
    const events = await trace(async () => {
      const mine = bank.settle('charge', () => insideGate.promise);
      outsideGate.resolve();
      await outside; // the outside execution calls credit() now, during the trace
      insideGate.resolve();
      await mine;
    });
    expect(bank.ledger.slice(before)).toEqual([
      ['credit', 'refund', 1],
      ['debit', 'charge', 1],
    ]);
    expect(events.map((e) => `${e.kind} ${e.key.slice(BANK.length + 1)}`)).toEqual([
      'call settle',
      'line 25',
      'await 25',
      'line 26',
      'line 27',
      'call debit',
      'line 10',
      'return debit',
      'line 28',
      'return settle',
    ]);
  });

  it('runs concurrent traces independently', async () => {
    const gateA = deferred();
    const gateB = deferred();
    const a = trace(() => bank.settle('refund', () => gateA.promise));
    const b = trace(() => bank.settle('charge', () => gateB.promise));
    gateB.resolve();
    const eventsB = await b;
    gateA.resolve();
    const eventsA = await a;
    expect(eventsA.some((e) => e.key === `${BANK}:credit`)).toBe(true);
    expect(eventsA.some((e) => e.key === `${BANK}:debit`)).toBe(false);
    expect(eventsB.some((e) => e.key === `${BANK}:debit`)).toBe(true);
    expect(eventsB.some((e) => e.key === `${BANK}:credit`)).toBe(false);
    // After a concurrent phase, a lone trace records everything again.
    expect(await trace(() => bank.transfer('a', 'b', 1, async () => {}))).toEqual(TRANSFER_EVENTS);
  });

  it('records an inner trace into the outer one too', async () => {
    let inner: unknown;
    const outer = await trace(async () => {
      bank.parity(2);
      inner = await trace(() => bank.credit('nested', 1));
    });
    expect(inner).toEqual([
      { kind: 'call', key: `${BANK}:credit` },
      { kind: 'line', key: `${BANK}:13` },
      { kind: 'return', key: `${BANK}:credit` },
    ]);
    expect(outer.map((e) => e.key)).toEqual([
      `${BANK}:parity`,
      `${BANK}:16`,
      `${BANK}:parity`,
      `${BANK}:credit`,
      `${BANK}:13`,
      `${BANK}:credit`,
    ]);
  });

  it('rejects with the run error and turns probes off again', async () => {
    await expect(trace(() => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(host().on).toBe(0);
  });

  it('combines with an armed glitch', async () => {
    const glitch = Glitch.beforeLine('fixtures/bank.js:13');
    let failure: unknown;
    const events = await trace(() =>
      withGlitch(glitch, async () => {
        failure = await bank.transfer('a', 'b', 1, async () => {}).catch((e: unknown) => e);
      }),
    );
    expect(failure).toBeInstanceOf(TransientError);
    expect(events.at(-1)).toEqual({ kind: 'line', key: `${BANK}:13` });
    expect(host().on).toBe(0);
  });

  it('fires a glitch armed mid-trace at a site the trace already recorded', async () => {
    const glitch = Glitch.beforeLine('fixtures/bank.js:13');
    let failure: unknown;
    const events = await trace(async () => {
      bank.credit('first', 1);
      await withGlitch(glitch, () => {
        try {
          bank.credit('second', 1);
        } catch (error) {
          failure = error;
        }
      });
      bank.parity(1);
    });
    expect(failure).toBeInstanceOf(TransientError);
    expect(events.map((e) => e.key.slice(BANK.length + 1))).toEqual(['credit', '13', 'credit', 'parity', '16', '17', 'parity']);
  });
});

describe('traceSites', () => {
  it('adds after-line events and site details (inJob: outside any job execution here)', async () => {
    const sites = await traceSites(() => bank.debit('details', 1));
    expect(sites).toEqual([
      { kind: 'call', key: `${BANK}:debit`, file: BANK, line: 9, fn: 'debit', inJob: false },
      { kind: 'line', key: `${BANK}:10`, file: BANK, line: 10, inJob: false },
      { kind: 'after', key: `${BANK}:10`, file: BANK, line: 10, inJob: false },
      { kind: 'return', key: `${BANK}:debit`, file: BANK, line: 11, fn: 'debit', inJob: false },
    ]);
  });
});
