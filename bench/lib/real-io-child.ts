/**
 * Child process of the harness's real-I/O figures: simulation time per job
 * execution against one clean execution of the same job, for a job doing
 * real I/O on a SQLite file — the workflow transfer (fixtures/workflows) and
 * the naive transfer against a SQLite table (bench/fixtures). Started with
 * `--import ./transformer/register.ts`, so both fixtures load instrumented.
 *
 * The clean execution is what production runs: the handler called once on a
 * new transfer (instrumented code idle: nothing traced or armed, no perform
 * loop, no leftover-work hook; the tables reset once per batch, untimed).
 * The simulation side is a whole `simulate` (clean run and every scenario:
 * trace, arming, perform loop, leftover-work tracking, elapsing clock)
 * divided by the job executions it performed, less the time spent in the
 * user's own `reset` and `check` (a plain test of the job pays those too;
 * the figure reports the total with them as well). Both sides alternate in
 * rounds after warming up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryQueue, restoreRealClock, simulate, type SimulateOptions } from '../../runtime/index.js';
import { openStore } from '../../workflow/index.js';
import { createLedger, transferWorkflow } from '../../fixtures/workflows/transfer.js';
import type { Mailer } from '../../fixtures/workflows/ports.js';
import { createBankTable, naiveSqliteTransfer } from '../fixtures/naive-sqlite-transfer.js';
import { childArgs, reply } from './child.js';
import { median } from './timing.js';

export interface RealIoArgs {
  job: 'workflow' | 'naive';
  rounds?: number;
}

export interface RealIoResult {
  job: RealIoArgs['job'];
  scenarios: number;
  /** Job executions of one simulation, the clean run's included. */
  executions: number;
  /** Median wall time of one simulation, less the time spent in the user's reset and check callbacks. */
  simulationMs: number;
  /** The same, reset and check included. */
  simulationWithUserCallbacksMs: number;
  cleanExecutionMs: number;
}

const WARM_UP_MS = 1500;
const args = childArgs<RealIoArgs>();
const dir = mkdtempSync(join(tmpdir(), 'fl-bench-real-io-'));
const store = await openStore(`sqlite:${join(dir, 'bench.db')}`);
const data = { transferId: 't-1', from: 'jill', to: 'jack', amount: 25 };
type TransferJob = { id: string; name: string; data: typeof data; attempt: number };
const job: TransferJob = { id: '1', name: 'transfer', data, attempt: 1 };

class TableMailer implements Mailer {
  async send(to: string, _body: string, key: string) {
    await store.db.insertInto('ledger').values({ account: `mail:${to}`, amount: 0, ref: key }).execute();
  }
  async sent(key: string) {
    return (await store.db.selectFrom('ledger').select('ref').where('ref', '=', key).executeTakeFirst()) !== undefined;
  }
}

let handler: (job: TransferJob) => Promise<unknown>;
let reset: () => Promise<void>;
if (args.job === 'workflow') {
  await createLedger(store);
  handler = transferWorkflow(store, new TableMailer()) as typeof handler;
  // One transaction: one commit (one fsync), as a user would write a reset of several tables.
  reset = () =>
    store.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('ledger').execute();
      for (const t of ['faultline_entries', 'faultline_context', 'faultline_executions']) await tx.deleteFrom(t as never).execute();
    });
} else {
  await createBankTable(store.db);
  handler = naiveSqliteTransfer(store.db);
  reset = async () => void (await store.db.deleteFrom('bank').execute());
}

const queue = new MemoryQueue().define('transfer', (ctx) => handler(ctx as never), { attempts: 3 });
// A real check that holds for every scenario (the naive job's duplicates are not under test here: time is).
const check = async () => {
  const table = args.job === 'workflow' ? 'ledger' : 'bank';
  const rows = await store.db.selectFrom(table as never).selectAll().execute();
  if (rows.length < 3) throw new Error(`expected the transfer's rows, got ${rows.length}`);
};
// Time spent in the user's own reset and check: a plain test of the job pays it too, so it is reported, not charged.
let userMs = 0;
const timedUser = (fn: () => Promise<unknown>) => async () => {
  const started = performance.now();
  try {
    await fn();
  } finally {
    userMs += performance.now() - started;
  }
};
const options: SimulateOptions = { reset: timedUser(reset), start: () => queue.enqueue('transfer', data), check: timedUser(check) };

const first = await simulate(queue, options);
if (!first.clean.passed || first.scenarios.some((s) => !s.passed)) throw new Error(`simulation failed:\n${String(first)}`);
const executions = first.clean.run.executions + first.scenarios.reduce((sum, s) => sum + (s.scenario?.executions ?? 0), 0);
restoreRealClock();

/** One whole simulation: its wall time, and that time less what the user's reset and check took. */
async function simulationOnce(): Promise<{ total: number; harness: number }> {
  userMs = 0;
  const started = performance.now();
  await simulate(queue, options);
  const total = performance.now() - started;
  restoreRealClock();
  return { total, harness: total - userMs };
}

/** As many clean executions as a simulation performs, one each as production runs it: a new transfer every time (the workflow's key is new, so it really runs its steps), the tables reset once per batch. */
async function cleanBatch(): Promise<number> {
  await reset();
  const started = performance.now();
  for (let i = 0; i < executions; i++) await handler({ ...job, id: String(i), data: { ...data, transferId: `c-${i}` } });
  return performance.now() - started;
}

const warmUntil = performance.now() + WARM_UP_MS;
while (performance.now() < warmUntil) {
  await simulationOnce();
  await cleanBatch();
}
const totals: number[] = [];
const harness: number[] = [];
const clean: number[] = [];
for (let round = 0; round < (args.rounds ?? 9); round++) {
  // Alternate which side goes first, so machine noise lands on both alike.
  const sim = async () => {
    const r = await simulationOnce();
    totals.push(r.total);
    harness.push(r.harness);
  };
  const base = async () => void clean.push(await cleanBatch());
  for (const side of round % 2 === 0 ? [sim, base] : [base, sim]) await side();
}
await store.close();
rmSync(dir, { recursive: true, force: true });
reply({
  job: args.job,
  scenarios: first.scenarios.length,
  executions,
  simulationMs: median(harness),
  simulationWithUserCallbacksMs: median(totals),
  cleanExecutionMs: median(clean) / executions,
} satisfies RealIoResult);
