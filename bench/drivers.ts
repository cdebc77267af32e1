/**
 * Driver benchmark (issue 6): simulation scenarios per second on real BullMQ
 * (Redis) and pg-boss (Postgres) against MemoryQueue, for the same fixture —
 * the naive transfer, instrumented — measured in one run. Also the issue's
 * goal: a 50-point simulation on a real queue finishes in under a minute.
 * Starts its own Redis and Postgres (support/services.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PgBoss from 'pg-boss';
import { instrument } from '../transformer/instrument.js';
import { MemoryQueue, restoreRealClock, simulate, type JobDriver } from '../runtime/index.js';
import { bullmqDriver } from '../runtime/harness/drivers/bullmq.js';
import { pgBossDriver } from '../runtime/harness/drivers/pg-boss.js';
import { startPostgres, startRedis } from '../support/services.js';
import { medianMs, type Figure } from './figures.js';

/** The fixture: the talk's naive transfer with its ledger in one module, so it instruments standalone. */
const TRANSFER = `
export const ledger = [];
export function reset() { ledger.length = 0; }
function post(account, amount) { ledger.push({ account, amount }); }
export function balance(account) { return ledger.filter((e) => e.account === account).reduce((s, e) => s + e.amount, 0); }
export async function transfer(data) {
  post(data.from, -data.amount);
  post(data.to, data.amount);
  post('outbox:' + data.to, 1);
}
`;

interface Transfer {
  reset(): void;
  balance(account: string): number;
  transfer(data: { from: string; to: string; amount: number }): Promise<void>;
}

/** Seconds per scenario of one simulation of the transfer on `driver`. */
async function scenarioRate(driver: JobDriver, fixture: Transfer): Promise<{ perSecond: number; scenarios: number }> {
  const run = () =>
    simulate(driver, {
      reset: fixture.reset,
      start: () => driver.enqueue('transfer', { from: 'alice', to: 'bob', amount: 10 }),
      check: () => {
        if (fixture.balance('alice') !== -10 || fixture.balance('bob') !== 10) throw new Error('money lost or made');
      },
    });
  const { scenarios } = await run(); // warm-up: connections, scripts, JIT
  // The clean traced run is one more pass of the same work. Median of 3: the machine is shared.
  const seconds = (await medianMs(3, run)) / 1000;
  restoreRealClock();
  return { perSecond: (scenarios.length + 1) / seconds, scenarios: scenarios.length };
}

/** Runs the benchmark; returns one figure per real queue, plus the 50-point budget. */
export async function benchDrivers(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-drivers-'));
  const file = join(dir, 'transfer.mjs');
  writeFileSync(file, instrument(TRANSFER, file, { root: dir }).code);
  const fixture = (await import(file)) as Transfer;
  const processor = (data: unknown) => fixture.transfer(data as { from: string; to: string; amount: number });

  const [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
  const { hostname, port } = new URL(redis.url);
  const bull = bullmqDriver({ connection: { host: hostname, port: Number(port), maxRetriesPerRequest: null }, prefix: `bench-${randomUUID()}`, processors: { transfer: (job) => processor(job.data) } });
  // Commits need not wait for the disk here (a throwaway cluster): measure the driver, not fsync.
  const boss = new PgBoss({ connectionString: pg.url, schema: 'fl_bench', supervise: false, schedule: false, options: '-c synchronous_commit=off' } as PgBoss.ConstructorOptions);
  boss.on('error', () => {});
  try {
    await boss.start();
    await boss.createQueue('transfer', { name: 'transfer', retryLimit: 0 });
    const memory = new MemoryQueue();
    memory.define('transfer', (job) => processor(job.data));

    const onMemory = await scenarioRate(memory, fixture);
    const onBull = await scenarioRate(bull, fixture);
    const onBoss = await scenarioRate(pgBossDriver({ boss, schema: 'fl_bench', handlers: { transfer: ([job]) => processor(job!.data) } }), fixture);

    const figure = (queue: string, rate: { perSecond: number; scenarios: number }): Figure[] => [
      {
        group: 'drivers',
        name: `simulation scenarios/s on ${queue}`,
        ratio: rate.perSecond / onMemory.perSecond,
        baseline: 'MemoryQueue, same fixture (higher is better)',
        detail: { 'scenarios/s': rate.perSecond, 'MemoryQueue scenarios/s': onMemory.perSecond, scenarios: rate.scenarios, ...(queue.startsWith('pg-boss') && { postgres: 'synchronous_commit=off' }) },
      },
      {
        group: 'drivers',
        name: `50-point simulation on ${queue}, time`,
        ratio: 50 / rate.perSecond / 60,
        baseline: 'the 1-minute budget',
        goal: { op: '<=', value: 1 },
        detail: { seconds: 50 / rate.perSecond },
      },
    ];
    return [...figure('BullMQ (Redis)', onBull), ...figure('pg-boss (Postgres)', onBoss)];
  } finally {
    await bull.close();
    await boss.stop({ graceful: false }).catch(() => {});
    await Promise.all([redis.stop(), pg.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
