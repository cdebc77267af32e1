/**
 * Dogfooding: faultline simulates the money transfer written as a workflow,
 * with the workflow engine's own sources instrumented too (see
 * ../vitest.config.ts). Every scenario glitches one point — a fixture line or
 * any line, call or return of the engine the transfer executes — and must end
 * with the execution finished and debit, credit and receipt applied exactly
 * once. A failure here is a real engine bug.
 *
 * Run by test/dogfood/dogfood.test.ts (sampled) and vitest.soak.config.ts
 * (exhaustive). Environment:
 * - DOGFOOD_SAMPLE: scenarios per store, or `all` (default `all`);
 * - DOGFOOD_SEED: seed of the sample (default {@link DEFAULT_SEED});
 * - DOGFOOD_POSTGRES_URL: a Postgres server; the run also covers a Postgres store;
 * - DOGFOOD_REPORT: where to write a JSON summary for the outer test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { GLITCH_KINDS, MemoryQueue, restoreRealClock, simulate, type SimulationReport } from '../../../runtime/index.js';
import { openStore, type WorkflowStore } from '../../../workflow/index.js';
import { createLedger, transferWorkflow } from '../../../fixtures/workflows/transfer.js';
import type { Mailer } from '../../../fixtures/workflows/ports.js';

/** The seed the default (sampled) CI run uses: the same scenarios on every run. */
export const DEFAULT_SEED = 20_240_611;

const SAMPLE = process.env.DOGFOOD_SAMPLE && process.env.DOGFOOD_SAMPLE !== 'all' ? Number(process.env.DOGFOOD_SAMPLE) : undefined;
const SEED = Number(process.env.DOGFOOD_SEED ?? DEFAULT_SEED);
const POSTGRES_URL = process.env.DOGFOOD_POSTGRES_URL;
const TRANSFER = { transferId: 't-1', from: 'alice', to: 'bob', amount: 100 };

class RecordingMailer implements Mailer {
  readonly outbox: { to: string; body: string; key: string }[] = [];
  async send(to: string, body: string, key: string) {
    this.outbox.push({ to, body, key });
  }
  async sent(key: string) {
    return this.outbox.some((m) => m.key === key);
  }
}

/** A database the transfer runs on, fresh for every run of the simulation. */
interface Bank {
  /** Gives the next run a fresh store and an empty outbox. */
  reset(): Promise<void>;
  readonly store: WorkflowStore;
  readonly mailer: RecordingMailer;
  dispose(): Promise<void>;
}

/** SQLite: a new database file per run. */
function sqliteBank(): Bank {
  const dir = mkdtempSync(join(tmpdir(), 'fl-dogfood-'));
  let store: WorkflowStore | undefined;
  let mailer = new RecordingMailer();
  let runs = 0;
  return {
    async reset() {
      await store?.close();
      if (runs > 0) rmSync(join(dir, `run-${runs}.db`), { force: true });
      runs++;
      store = await openStore(`sqlite:${join(dir, `run-${runs}.db`)}`);
      await createLedger(store);
      mailer = new RecordingMailer();
    },
    get store() {
      return store!;
    },
    get mailer() {
      return mailer;
    },
    async dispose() {
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Postgres: one scratch database, emptied before every run (opening a pool per run would dominate the time). */
async function postgresBank(serverUrl: string): Promise<Bank> {
  const name = `fl_dogfood_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const store = await openStore(url.toString());
  await createLedger(store);
  let mailer = new RecordingMailer();
  return {
    async reset() {
      await sql`truncate faultline_entries, faultline_context, faultline_executions, ledger`.execute(store.db);
      mailer = new RecordingMailer();
    },
    store,
    get mailer() {
      return mailer;
    },
    async dispose() {
      await store.close();
      const drop = new pg.Client({ connectionString: serverUrl });
      await drop.connect();
      await drop.query(`drop database if exists ${name} with (force)`);
      await drop.end();
    },
  };
}

/** Throws unless the one transfer finished with each side effect applied exactly once. Reads with plain SQL: the engine is instrumented. */
async function checkExactlyOnce(bank: Bank): Promise<void> {
  const executions = await bank.store.db.selectFrom('faultline_executions').select(['id', 'status', 'lease_owner']).where('job_name', '=', 'transfer').execute();
  expect(executions, 'one execution, finished, lease released').toEqual([{ id: expect.any(String), status: 'finished', lease_owner: null }]);
  const ledger = await bank.store.db.selectFrom('ledger').select(['account', 'amount', 'ref']).orderBy('ref').execute();
  expect(ledger, 'debit and credit each exactly once').toEqual([
    { account: 'bob', amount: 100, ref: 't-1:credit' },
    { account: 'alice', amount: -100, ref: 't-1:debit' },
  ]);
  expect(bank.mailer.outbox, 'exactly one receipt').toEqual([{ to: 'bob', body: 'You received 100 from alice', key: 't-1:receipt' }]);
  const succeeded = await bank.store.db
    .selectFrom('faultline_entries')
    .select('step')
    .where('execution_id', '=', executions[0]!.id)
    .where('action', '=', 'succeeded')
    .orderBy('seq')
    .execute();
  expect(succeeded.map((e) => e.step), 'each step recorded succeeded once, in order').toEqual(['debit', 'credit', 'email']);
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

const targets: [string, () => Bank | Promise<Bank>][] = [['sqlite', sqliteBank]];
if (POSTGRES_URL) targets.push(['postgres', () => postgresBank(POSTGRES_URL)]);

describe.each(targets)('the transfer workflow with the engine instrumented, on %s', (target, makeBank) => {
  it('finishes with debit, credit and receipt exactly once whatever single point fails', async () => {
    const bank = await makeBank();
    const started = performance.now();
    try {
      const queue = new MemoryQueue();
      // Production-like retries: exponential backoff outlasts the 30 s lease a
      // crashed attempt may leave behind (WorkflowLockedError is transient).
      queue.define('transfer', (job) => transferWorkflow(bank.store, bank.mailer)(job as never), { attempts: 25, backoff: { type: 'exponential', delay: 1000 } });
      const report = await simulate(queue, {
        reset: () => bank.reset(),
        start: () => queue.enqueue('transfer', TRANSFER),
        check: () => checkExactlyOnce(bank),
        kinds: GLITCH_KINDS,
        ...(SAMPLE !== undefined ? { sample: SAMPLE, seed: SEED } : {}),
      });
      const byFile = countByFile(report);
      const enginePoints = report.points.filter((p) => p.file.startsWith('workflow/'));
      summaries[target] = {
        points: report.points.length,
        enginePoints: enginePoints.length,
        scenarios: report.scenarios.length,
        passed: report.passed,
        failed: report.failed,
        sample: SAMPLE ?? 'all',
        seed: SAMPLE !== undefined ? SEED : undefined,
        seconds: (performance.now() - started) / 1000,
        byFile,
        failures: report.scenarios.filter((s) => !s.passed).map((s) => `${s.name}: ${String((s.error as Error)?.message ?? s.error)}`),
      };

      expect(report.clean.passed, `clean run: ${String(report.clean.error)}`).toBe(true);
      expect(report.failed, report.toString()).toBe(0);
      // The engine itself was traced and glitched, not just the fixture.
      expect(enginePoints.length).toBeGreaterThanOrEqual(200);
      expect(report.points.some((p) => p.key.startsWith('workflow/engine.ts:'))).toBe(true);
      expect(report.points.some((p) => p.key.startsWith('workflow/queries.ts:'))).toBe(true);
      if (SAMPLE === undefined) {
        expect(report.scenarios).toHaveLength(report.points.length);
        expect(Object.keys(byFile)).toEqual(expect.arrayContaining(['workflow/engine.ts', 'workflow/queries.ts', 'fixtures/workflows/transfer.ts']));
      } else {
        expect(report.scenarios).toHaveLength(Math.min(SAMPLE, report.points.length));
        expect(report.scenarios.filter((s) => s.point.file.startsWith('workflow/')).length).toBeGreaterThan(SAMPLE / 2);
      }
    } finally {
      await bank.dispose();
    }
  });
});
