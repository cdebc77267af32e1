/**
 * Dogfooding: faultline simulates workflows — the money transfer, and the
 * welcome series (durable context, halt, a delayed resume) — with the workflow
 * engine's own sources instrumented too (see ../vitest.config.ts). Every
 * scenario glitches one point — a fixture line or any line, call or return of
 * the engine the workflow executes — and must end with the execution finished
 * and each side effect applied exactly once. A failure here is a real engine bug.
 *
 * Run by test/dogfood/dogfood.test.ts (in `npm test` and `npm run soak`);
 * every point is a scenario (a few seconds per store), so CI is exhaustive.
 * Environment:
 * - DOGFOOD_SAMPLE: scenarios per workflow and store, or `all` (default `all`);
 * - DOGFOOD_FAULTS: comma-separated faults to try at every point (default
 *   `transient`; `transient,crash` adds a crash of the worker there, so the
 *   engine's own catch and finally do not run and its lease must run out);
 * - DOGFOOD_CRASH_SAMPLE: also run this many crash scenarios per workflow and
 *   store (seeded; `all` for every point), a simulation of its own recorded
 *   as `<store> <workflow> crash` (`npm test` runs a sample, `npm run soak`
 *   every crash through DOGFOOD_FAULTS);
 * - DOGFOOD_SEED: seed of the sample (default {@link DEFAULT_SEED});
 * - DOGFOOD_POSTGRES_URL: a Postgres server; the run also covers a Postgres store
 *   (SQLite and in-memory PGlite stores are always covered);
 * - DOGFOOD_REPORT: where to write a JSON summary for the outer test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryQueue, restoreRealClock, simulate, type SimulationReport } from '../../../runtime/index.js';
import { GLITCH_KINDS } from '../../../core/kinds.js';
import { openStore, type WorkflowStore } from '../../../workflow/index.js';
import { createLedger, transferWorkflow } from '../../../fixtures/workflows/transfer.js';
import { FOLLOW_UP_AFTER_MS, welcomeSeries } from '../../../fixtures/workflows/delay.js';
import type { Mailer } from '../../../fixtures/workflows/ports.js';
import { createPostgresDatabase } from '../../workflow/support/targets.js';

/** The seed of a sampled run (DOGFOOD_SAMPLE=n) unless DOGFOOD_SEED says otherwise: the same scenarios on every run. */
const DEFAULT_SEED = 20_240_611;

const SAMPLE = process.env.DOGFOOD_SAMPLE && process.env.DOGFOOD_SAMPLE !== 'all' ? Number(process.env.DOGFOOD_SAMPLE) : undefined;
const SEED = Number(process.env.DOGFOOD_SEED ?? DEFAULT_SEED);
const POSTGRES_URL = process.env.DOGFOOD_POSTGRES_URL;
const FAULTS = (process.env.DOGFOOD_FAULTS ?? 'transient').split(',') as Fault[];
const CRASH_SAMPLE = sampleOf(process.env.DOGFOOD_CRASH_SAMPLE);

type Fault = 'transient' | 'crash';

/** A sample size from the environment: a number, `all` (every point), or absent. */
function sampleOf(value: string | undefined): number | 'all' | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'all') return 'all';
  const n = Number(value);
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`DOGFOOD_CRASH_SAMPLE must be a positive integer or "all", got ${value}`);
  return n;
}
const TRANSFER = { transferId: 't-1', from: 'alice', to: 'bob', amount: 100 };

class RecordingMailer implements Mailer {
  readonly outbox: { to: string; body: string; key: string }[] = [];
  /** Virtual time each message was sent at, by key. */
  readonly sentAt = new Map<string, number>();
  async send(to: string, body: string, key: string) {
    this.outbox.push({ to, body, key });
    this.sentAt.set(key, Date.now());
  }
  async sent(key: string) {
    return this.outbox.some((m) => m.key === key);
  }
}

/** A database the workflows run on, fresh for every run of a simulation. */
interface Bank {
  /** Gives the next run a fresh store (with the ledger table). */
  reset(): Promise<void>;
  readonly store: WorkflowStore;
  dispose(): Promise<void>;
}

/** SQLite: a new database file per run. */
function sqliteBank(): Bank {
  const dir = mkdtempSync(join(tmpdir(), 'fl-dogfood-'));
  let store: WorkflowStore | undefined;
  let runs = 0;
  return {
    async reset() {
      await store?.close();
      if (runs > 0) rmSync(join(dir, `run-${runs}.db`), { force: true });
      runs++;
      store = await openStore(`sqlite:${join(dir, `run-${runs}.db`)}`);
      await createLedger(store);
    },
    get store() {
      return store!;
    },
    async dispose() {
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Postgres-dialect store emptied before every run (opening one per run would dominate the time); `dispose` then `release`. */
async function truncatingBank(store: WorkflowStore, release: () => Promise<void>): Promise<Bank> {
  await createLedger(store);
  return {
    async reset() {
      await sql`truncate faultline_entries, faultline_context, faultline_executions, ledger`.execute(store.db);
    },
    store,
    async dispose() {
      await store.close();
      await release();
    },
  };
}

/** Postgres: one scratch database on the run's server. */
async function postgresBank(serverUrl: string): Promise<Bank> {
  const database = await createPostgresDatabase(serverUrl);
  return truncatingBank(await openStore(database.url), () => database.drop());
}

/** PGlite: one in-memory instance. */
async function pgliteBank(): Promise<Bank> {
  const pglite = await PGlite.create();
  return truncatingBank(await openStore({ pglite }), () => pglite.close());
}

/** The one execution of `jobName`, read with plain SQL (the engine is instrumented); throws unless it finished and released its lease. */
async function finishedExecution(store: WorkflowStore, jobName: string): Promise<string> {
  const executions = await store.db.selectFrom('faultline_executions').select(['id', 'status', 'lease_owner']).where('job_name', '=', jobName).execute();
  expect(executions, 'one execution, finished, lease released').toEqual([{ id: expect.any(String), status: 'finished', lease_owner: null }]);
  return executions[0]!.id;
}

/** The steps recorded `succeeded`, in order. */
async function succeededSteps(store: WorkflowStore, executionId: string): Promise<string[]> {
  const rows = await store.db.selectFrom('faultline_entries').select('step').where('execution_id', '=', executionId).where('action', '=', 'succeeded').orderBy('seq').execute();
  return rows.map((r) => r.step);
}

/** Throws unless the one transfer finished with debit, credit and receipt each exactly once. */
async function checkTransfer(store: WorkflowStore, mailer: RecordingMailer): Promise<void> {
  const id = await finishedExecution(store, 'transfer');
  const ledger = await store.db.selectFrom('ledger').select(['account', 'amount', 'ref']).orderBy('ref').execute();
  expect(ledger, 'debit and credit each exactly once').toEqual([
    { account: 'bob', amount: 100, ref: 't-1:credit' },
    { account: 'alice', amount: -100, ref: 't-1:debit' },
  ]);
  expect(mailer.outbox, 'exactly one receipt').toEqual([{ to: 'bob', body: 'You received 100 from alice', key: 't-1:receipt' }]);
  expect(await succeededSteps(store, id), 'each step recorded succeeded once, in order').toEqual(['debit', 'credit', 'email']);
}

/** Throws unless the welcome series finished with one welcome and one follow-up, three virtual days apart (halt, resume, context). */
async function checkWelcome(store: WorkflowStore, mailer: RecordingMailer, startedAt: number): Promise<void> {
  const id = await finishedExecution(store, 'welcome');
  expect(mailer.outbox.map((m) => m.key), 'one welcome, one follow-up').toEqual(['welcome:u-1', 'follow-up:u-1']);
  const followUp = mailer.sentAt.get('follow-up:u-1')!;
  expect(followUp - startedAt, 'follow-up after the delay').toBeGreaterThanOrEqual(FOLLOW_UP_AFTER_MS);
  // Retries of a failed step take seconds to minutes of virtual time, never another delay.
  expect(followUp - startedAt, 'follow-up not delayed twice').toBeLessThan(2 * FOLLOW_UP_AFTER_MS);
  expect(await succeededSteps(store, id), 'each step recorded succeeded once, in order').toEqual(['welcome', 'wait', 'follow-up']);
}

/** Scenario counts per instrumented file, for the report. */
function countByFile(report: SimulationReport): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of report.scenarios) counts[s.point.file] = (counts[s.point.file] ?? 0) + 1;
  return counts;
}

const summaries: Record<string, unknown> = {};
afterAll(() => {
  restoreRealClock();
  if (process.env.DOGFOOD_REPORT) writeFileSync(process.env.DOGFOOD_REPORT, JSON.stringify(summaries, null, 2));
});

const targets: [string, () => Bank | Promise<Bank>][] = [
  ['sqlite', sqliteBank],
  ['pglite', pgliteBank],
];
if (POSTGRES_URL) targets.push(['postgres', () => postgresBank(POSTGRES_URL)]);

/** Production-like retries: exponential backoff outlasts the 30 s lease a crashed attempt may leave behind (WorkflowLockedError is transient). */
const RETRIES = { attempts: 25, backoff: { type: 'exponential', delay: 1000 } } as const;

/**
 * Simulates with DOGFOOD_FAULTS over every traced point (or the seeded
 * sample), then, when DOGFOOD_CRASH_SAMPLE asks, crashes alone over its own
 * sample; records each summary and asserts it.
 */
async function simulateAndAssert(name: string, queue: MemoryQueue, bank: Bank, options: { start: () => unknown; check: () => Promise<void> }): Promise<void> {
  await simulateOnce(name, queue, bank, options, FAULTS, SAMPLE);
  if (CRASH_SAMPLE !== undefined) await simulateOnce(`${name} crash`, queue, bank, options, ['crash'], CRASH_SAMPLE === 'all' ? undefined : CRASH_SAMPLE);
}

/** One simulation with `faults` over every traced point or `sample` of them; records the summary under `name`, and asserts it. */
async function simulateOnce(
  name: string,
  queue: MemoryQueue,
  bank: Bank,
  options: { start: () => unknown; check: () => Promise<void> },
  faults: readonly Fault[],
  sample: number | undefined,
): Promise<void> {
  const started = performance.now();
  const report = await simulate(queue, {
    reset: () => bank.reset(),
    start: options.start,
    check: options.check,
    kinds: GLITCH_KINDS,
    faults,
    ...(process.env.DOGFOOD_PROGRESS ? { onProgress: ({ last }: { last?: { name: string; passed: boolean } }) => void (last && process.stderr.write(`DOGFOOD ${last.passed ? 'ok' : 'FAIL'} ${last.name}\n`)) } : {}),
    ...(sample !== undefined ? { sample, seed: SEED } : {}),
  });
  const byFile = countByFile(report);
  const enginePoints = report.points.filter((p) => p.file.startsWith('workflow/'));
  summaries[name] = {
    points: report.points.length,
    enginePoints: enginePoints.length,
    scenarios: report.scenarios.length,
    passed: report.passed,
    failed: report.failed,
    sample: sample ?? 'all',
    faults,
    ...(sample !== undefined ? { seed: SEED } : {}),
    seconds: (performance.now() - started) / 1000,
    byFile,
    engineKeys: enginePoints.map((p) => p.name),
    failures: report.scenarios.filter((s) => !s.passed).map((s) => `${s.name}: ${String((s.error as Error)?.message ?? s.error)}`),
  };

  expect(report.clean.passed, `clean run: ${String(report.clean.error)}`).toBe(true);
  expect(report.failed, report.toString()).toBe(0);
  // The engine itself was traced and glitched, not just the fixture.
  expect(enginePoints.length).toBeGreaterThanOrEqual(200);
  expect(report.points.some((p) => p.key.startsWith('workflow/engine.ts:'))).toBe(true);
  expect(report.points.some((p) => p.key.startsWith('workflow/queries.ts:'))).toBe(true);
  expect(report.scenarios).toHaveLength(sample === undefined ? report.points.length : Math.min(sample, report.points.length));
}

describe.each(targets)('workflows with the engine instrumented, on %s', (target, makeBank) => {
  let bank: Bank;
  beforeAll(async () => {
    bank = await makeBank();
  });
  afterAll(async () => {
    await bank?.dispose();
  });

  it('transfer: debit, credit and receipt exactly once whatever single point fails', async () => {
    const queue = new MemoryQueue();
    let mailer = new RecordingMailer();
    queue.define('transfer', (job) => transferWorkflow(bank.store, mailer)(job as never), RETRIES);
    await simulateAndAssert(`${target} transfer`, queue, bank, {
      start: () => {
        mailer = new RecordingMailer();
        return queue.enqueue('transfer', TRANSFER);
      },
      check: () => checkTransfer(bank.store, mailer),
    });
  });

  it('welcome series (context, halt, delayed resume): one welcome and one follow-up whatever single point fails', async () => {
    const queue = new MemoryQueue();
    let mailer = new RecordingMailer();
    let startedAt = 0;
    queue.define('welcome', (job) => welcomeSeries(bank.store, queue, mailer)(job as never), RETRIES);
    await simulateAndAssert(`${target} welcome-series`, queue, bank, {
      start: () => {
        mailer = new RecordingMailer();
        startedAt = Date.now();
        return queue.enqueue('welcome', { userId: 'u-1', email: 'u1@example.com' });
      },
      check: () => checkWelcome(bank.store, mailer, startedAt),
    });
  });
});
