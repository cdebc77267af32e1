/**
 * Demo part one: the naive transfer (fixtures/jobs/transfer.ts) on
 * MemoryQueue. Jill pays Jack 10; a retry after a transient failure repeats
 * whatever already happened, and the simulation shows exactly where.
 */
import { MemoryQueue, simulate, type SimulateOptions, type SimulationReport } from 'faultline';
import { balance, emailsTo, resetBank } from '../fixtures/jobs/bank.js';
import { transfer } from '../fixtures/jobs/transfer.js';
import { checkTransfer } from './checks.js';

const OPENING = { jill: 100, jack: 100 };
const AMOUNT = 10;

/** Simulates the naive transfer with every traced point glitched. */
export async function simulateNaiveTransfer(onProgress?: SimulateOptions['onProgress']): Promise<SimulationReport> {
  const queue = new MemoryQueue();
  queue.define('transfer', transfer);
  return simulate(queue, {
    reset: () => resetBank(OPENING),
    start: () => queue.enqueue('transfer', { transferId: 't-1', from: 'jill', to: 'jack', amount: AMOUNT }),
    check: () =>
      checkTransfer({
        payer: { name: 'Jill', before: OPENING.jill, actual: balance('jill') },
        payee: { name: 'Jack', before: OPENING.jack, actual: balance('jack') },
        amount: AMOUNT,
        receipts: emailsTo('jack').length,
      }),
    ...(onProgress ? { onProgress } : {}),
  });
}
