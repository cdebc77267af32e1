/**
 * Child process of the faults figure: the cost of one crash scenario against
 * one transient scenario at the same points of the same job, the SQLite
 * workflow transfer (fixtures/workflows/transfer.ts; started with `--import
 * ./transformer/register.ts`, so it loads instrumented). Each side is a whole
 * `simulate` with `faults: ['crash']` or `faults: ['transient']`, divided by
 * its scenarios; the two sides alternate in rounds after warming up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryQueue, restoreRealClock, simulate, type SimulateOptions, type SimulationReport } from '../../runtime/index.js';
import { openStore } from '../../workflow/index.js';
import { balance, createLedger, transferWorkflow } from '../../fixtures/workflows/transfer.js';
import type { Mailer } from '../../fixtures/workflows/ports.js';
import { childArgs, reply } from './child.js';
import { interleavedMedians } from './timing.js';

export interface FaultsArgs {
  rounds?: number;
}

export interface FaultsResult {
  scenarios: number;
  crashMs: number;
  transientMs: number;
  crashExecutions: number;
  transientExecutions: number;
}

const WARM_UP_ROUNDS = 2;
const args = childArgs<FaultsArgs>();
const dir = mkdtempSync(join(tmpdir(), 'fl-bench-faults-'));
const store = await openStore(`sqlite:${join(dir, 'bench.db')}`);
await createLedger(store);

class TableMailer implements Mailer {
  async send(to: string, _body: string, key: string) {
    await store.db.insertInto('ledger').values({ account: `mail:${to}`, amount: 0, ref: key }).execute();
  }
  async sent(key: string) {
    return (await store.db.selectFrom('ledger').select('ref').where('ref', '=', key).executeTakeFirst()) !== undefined;
  }
}

// BullMQ's stall defaults (re-delivered 30 s after a crash, when the 30 s lease has run out); a locked-out re-delivery retries.
const queue = new MemoryQueue().define('transfer', transferWorkflow(store, new TableMailer()), { attempts: 3, backoff: 10_000 });
const options = (fault: 'transient' | 'crash'): SimulateOptions => ({
  faults: [fault],
  reset: () =>
    store.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('ledger').execute();
      for (const t of ['faultline_entries', 'faultline_context', 'faultline_executions']) await tx.deleteFrom(t as never).execute();
    }),
  start: () => queue.enqueue('transfer', { transferId: 't-1', from: 'jill', to: 'jack', amount: 25 }),
  check: async () => {
    if ((await balance(store, 'jack')) !== 25) throw new Error('the transfer did not credit Jack exactly once');
  },
});

async function run(fault: 'transient' | 'crash'): Promise<SimulationReport> {
  const report = await simulate(queue, options(fault));
  restoreRealClock();
  if (!report.clean.passed || report.failed > 0) throw new Error(`simulation failed:\n${String(report)}`);
  return report;
}

const executions = (report: SimulationReport) => report.scenarios.reduce((sum, s) => sum + (s.scenario?.executions ?? 0), 0);
const [crash, transient] = [await run('crash'), await run('transient')];
for (let i = 0; i < WARM_UP_ROUNDS; i++) {
  await run('crash');
  await run('transient');
}
const medians = await interleavedMedians(args.rounds ?? 7, { crash: () => run('crash'), transient: () => run('transient') });
await store.close();
rmSync(dir, { recursive: true, force: true });
reply({
  scenarios: crash.scenarios.length,
  crashMs: medians.crash / crash.scenarios.length,
  transientMs: medians.transient / transient.scenarios.length,
  crashExecutions: executions(crash),
  transientExecutions: executions(transient),
} satisfies FaultsResult);
