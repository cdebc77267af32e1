/**
 * The engine under races: two deliveries of one workflow key (the transfer;
 * the welcome series, with its context, halt and delayed resume) run at
 * once, with the workflow engine's own sources instrumented (see
 * ../races.vitest.config.ts), so every `await` of engine.ts, queries.ts,
 * context.ts, … the deliveries reach is a scheduling point where
 * `simulateRaces` may switch between them. Every schedule must end with:
 * - the step bodies never overlapping (each body's enter and leave recorded);
 * - each side effect exactly once (debit, credit, receipt; welcome, follow-up);
 * - every delivery completed (the loser's WorkflowLockedError is transient:
 *   the queue retries it, and the retry finds the execution finished or
 *   resumes it);
 * - one execution, finished, its lease released.
 *
 * One *.races.ts file per store calls {@link describeKeyedRaces}, so the
 * stores explore in parallel forks. Run by test/dogfood/races.test.ts. Environment:
 * - DOGFOOD_RACES_PREEMPTIONS, DOGFOOD_RACES_SCHEDULES: the bound and the cap
 *   (defaults 1 and 60: the npm-test run; the soak config explores further);
 * - DOGFOOD_POSTGRES_URL: the Postgres server of postgres.races.ts;
 * - DOGFOOD_RACES_REPORT: a directory to write each store's JSON summary to, for the outer test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryQueue, restoreRealClock, simulateRaces, type RaceReport, type RaceRun, type SimulateRacesOptions } from '../../../runtime/index.js';
import { openStore, type WorkflowStore } from '../../../workflow/index.js';
import { createLedger } from '../../../fixtures/workflows/transfer.js';
import type { Mailer } from '../../../fixtures/workflows/ports.js';
import { createPostgresDatabase } from '../../workflow/support/targets.js';
import { assertNoOverlap, observedTransfer, observedWelcome, type StepEvent } from './observed-workflows.js';

export const PREEMPTIONS = Number(process.env.DOGFOOD_RACES_PREEMPTIONS ?? 1);
export const SCHEDULES = Number(process.env.DOGFOOD_RACES_SCHEDULES ?? 60);
const TRANSFER = { transferId: 't-1', from: 'alice', to: 'bob', amount: 100 };
const WELCOME = { userId: 'u-1', email: 'u1@example.com' };
/** The loser's WorkflowLockedError is retried a virtual second later, as a production queue would. */
const RETRIES = { attempts: 5, backoff: 1000 } as const;

/** A mailer that keeps what it sent. */
export class RecordingMailer implements Mailer {
  readonly outbox: { to: string; body: string; key: string }[] = [];
  async send(to: string, body: string, key: string) {
    this.outbox.push({ to, body, key });
  }
  async sent(key: string) {
    return this.outbox.some((m) => m.key === key);
  }
}

/** A store emptied with plain SQL before every schedule (the engine's own queries are instrumented). */
export interface Bank {
  readonly store: WorkflowStore;
  /**
   * Real ms a delivery may wait on the other's transaction before the
   * scheduler counts it blocked (one-connection stores queue the second
   * delivery's query behind the first's transaction; Postgres blocks on its row).
   */
  readonly blockedAfterMs: number;
  dispose(): Promise<void>;
}

/** Empties the store and the ledger with plain SQL (the engine's own queries are instrumented). */
export async function emptied(store: WorkflowStore): Promise<void> {
  for (const table of ['faultline_entries', 'faultline_context', 'faultline_executions', 'ledger']) await sql`delete from ${sql.table(table)}`.execute(store.db);
}

/** SQLite: one database file, emptied before every schedule. */
export async function sqliteBank(): Promise<Bank> {
  const dir = mkdtempSync(join(tmpdir(), 'fl-dogfood-races-'));
  const store = await openStore(`sqlite:${join(dir, 'races.db')}`);
  return {
    store,
    blockedAfterMs: 100,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PGlite: one in-memory instance, emptied before every schedule. */
export async function pgliteBank(): Promise<Bank> {
  const pglite = await PGlite.create();
  const store = await openStore({ pglite });
  return {
    store,
    blockedAfterMs: 100,
    async dispose() {
      await store.close();
      await pglite.close();
    },
  };
}

/** Postgres: one scratch database on `serverUrl`, emptied before every schedule. */
export async function postgresBank(serverUrl: string): Promise<Bank> {
  const database = await createPostgresDatabase(serverUrl);
  const store = await openStore(database.url);
  return {
    store,
    // A commit on a loaded server can take longer than a lock wait here: only a long silence counts as blocked.
    blockedAfterMs: 2_000,
    async dispose() {
      await store.close();
      await database.drop();
    },
  };
}

/** Throws unless every delivery's last execution completed (`ids`: the racing ones, which must be among them). */
function allCompleted(run: RaceRun, ids: readonly string[]): void {
  const last = new Map<string, string>();
  for (const record of run.performed) last.set(record.id, record.outcome);
  expect([...last.values()].every((outcome) => outcome === 'completed'), `every delivery completed in the end: ${JSON.stringify(Object.fromEntries(last))}`).toBe(true);
  expect([...last.keys()], 'both racing deliveries ran').toEqual(expect.arrayContaining([...ids]));
}

/** Throws unless the store holds one execution of `jobName`, finished, its lease released. */
async function finishedAndReleased(store: WorkflowStore, jobName: string): Promise<void> {
  const executions = await store.db.selectFrom('faultline_executions').select(['status', 'lease_owner']).where('job_name', '=', jobName).execute();
  expect(executions, 'one execution, finished, lease released').toEqual([{ status: 'finished', lease_owner: null }]);
}

/** What the outer test reads: counts, and the points where some schedule switched away from a delivery. */
function summarize(report: RaceReport, seconds: number) {
  const switches = new Set(report.schedules.flatMap((s) => (s.run?.timeline ?? []).map((entry) => entry.to).filter((to): to is string => typeof to === 'string')));
  return {
    schedules: report.schedules.length,
    passed: report.passed,
    failed: report.failed,
    complete: report.complete,
    preemptions: report.preemptions,
    seconds,
    switches: [...switches].sort(),
    blocked: report.schedules.filter((s) => s.name.includes('blocked after')).length,
    failures: report.schedules.filter((s) => !s.passed).map((s) => s.name),
  };
}

/** Explores the two deliveries `start` enqueues, records the summary under `name`, and asserts every schedule passed. */
async function exploreAndAssert(
  summaries: Record<string, unknown>,
  name: string,
  queue: MemoryQueue,
  bank: Bank,
  options: Pick<SimulateRacesOptions, 'reset' | 'start' | 'check'>,
): Promise<void> {
  const started = performance.now();
  const report = await simulateRaces(queue, { ...options, preemptions: PREEMPTIONS, schedules: SCHEDULES, blockedAfterMs: bank.blockedAfterMs });
  summaries[name] = summarize(report, (performance.now() - started) / 1000);
  // Each failure named by its schedule, with its timeline and how to replay it.
  expect(report.failed, String(report)).toBe(0);
}

/** Describes the races of both workflows on the store `makeBank` opens, named `target`; writes the summary on the way out. */
export function describeKeyedRaces(target: string, makeBank: () => Promise<Bank>): void {
  const summaries: Record<string, unknown> = {};
  afterAll(() => {
    restoreRealClock();
    const dir = process.env.DOGFOOD_RACES_REPORT;
    if (dir) writeFileSync(join(dir, `${target}.json`), JSON.stringify(summaries, null, 2));
  });
  describe(`two deliveries of one workflow key, engine instrumented, on ${target}`, () => {
    let bank: Bank;
    beforeAll(async () => {
      bank = await makeBank();
      await createLedger(bank.store);
    });
    afterAll(async () => {
      await bank?.dispose();
    });

    it('transfer: steps never overlap, debit, credit and receipt once, both deliveries complete, the lease is released, in every schedule', async () => {
      const queue = new MemoryQueue();
      let mailer = new RecordingMailer();
      let log: StepEvent[] = [];
      queue.define('transfer', (job) => observedTransfer(bank.store, mailer, log)(job as never), RETRIES);
      await exploreAndAssert(summaries, `${target} transfer`, queue, bank, {
        reset: async () => {
          await emptied(bank.store);
          mailer = new RecordingMailer();
          log = [];
        },
        start: async () => {
          await queue.enqueue('transfer', TRANSFER, { jobId: 'a' });
          await queue.enqueue('transfer', TRANSFER, { jobId: 'b' });
        },
        check: async (run) => {
          assertNoOverlap(log);
          allCompleted(run, ['a', 'b']);
          await finishedAndReleased(bank.store, 'transfer');
          const ledger = await bank.store.db.selectFrom('ledger').select(['account', 'amount', 'ref']).orderBy('ref').execute();
          expect(ledger, 'debit and credit each exactly once').toEqual([
            { account: 'bob', amount: 100, ref: 't-1:credit' },
            { account: 'alice', amount: -100, ref: 't-1:debit' },
          ]);
          expect(mailer.outbox.map((m) => m.key), 'exactly one receipt').toEqual(['t-1:receipt']);
          expect(log.filter((e) => e.event === 'enter').map((e) => e.step), 'each body ran once').toEqual(['debit', 'credit', 'email']);
        },
      });
    });

    it('welcome series (context, halt, delayed resume): steps never overlap, one welcome and one follow-up, every delivery completes, in every schedule', async () => {
      const queue = new MemoryQueue();
      let mailer = new RecordingMailer();
      let log: StepEvent[] = [];
      queue.define('welcome', (job) => observedWelcome(bank.store, queue, mailer, log)(job as never), RETRIES);
      await exploreAndAssert(summaries, `${target} welcome-series`, queue, bank, {
        reset: async () => {
          await emptied(bank.store);
          mailer = new RecordingMailer();
          log = [];
        },
        start: async () => {
          await queue.enqueue('welcome', WELCOME, { jobId: 'a' });
          await queue.enqueue('welcome', WELCOME, { jobId: 'b' });
        },
        check: async (run) => {
          assertNoOverlap(log);
          allCompleted(run, ['a', 'b']);
          await finishedAndReleased(bank.store, 'welcome');
          expect(mailer.outbox.map((m) => m.key), 'one welcome, one follow-up').toEqual(['welcome:u-1', 'follow-up:u-1']);
          // The welcome and the follow-up ran once each; the wait ran on every delivery that found it due or not (halting again).
          const entered = log.filter((e) => e.event === 'enter').map((e) => e.step);
          expect(entered.filter((step) => step !== 'wait'), 'welcome and follow-up bodies once each').toEqual(['welcome', 'follow-up']);
        },
      });
    });
  });
}
