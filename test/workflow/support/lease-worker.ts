/**
 * Child process for the lease tests: executes the two-step workflow `cpu`,
 * `after` of one key on the store at argv[2] until it is finished, retrying
 * while locked, and gives up (reporting it) when its lease was lost.
 *
 * argv: url, tag, then JSON options: leaseMs, blockMs (the `cpu` body blocks
 * the event loop with synchronous work that long), maxBlockedMs (absent: the
 * default), transactional (the `cpu` step is), keepOpen (never close the
 * store, so the process must exit on its own).
 *
 * Protocol: prints `ready` once the store is open, waits for a line on stdin
 * before starting, prints `inside` when its `cpu` body starts, and finally one
 * JSON line: { status, locked, leaseLost, ctxSetError }. Every body records a
 * row in `body_runs` (the test's evidence of who ran what, and when).
 */
import { once } from 'node:events';
import { sql } from 'kysely';
import { executeWorkflow, LeaseLostError, openStore, WorkflowLockedError } from '../../../workflow/index.js';

export interface LeaseWorkerOptions {
  leaseMs: number;
  blockMs: number;
  maxBlockedMs?: number;
  transactional?: boolean;
  keepOpen?: boolean;
}

const [url, tag, optionsText] = process.argv.slice(2) as [string, string, string];
const { leaseMs, blockMs, maxBlockedMs, transactional = false, keepOpen = false } = JSON.parse(optionsText) as LeaseWorkerOptions;

const store = await openStore(url);
process.stdout.write('ready\n');
process.stdin.setEncoding('utf8');
await once(process.stdin, 'data');
process.stdin.pause();

/** Synchronous CPU work: the event loop (and anything scheduled on it) is stuck meanwhile. */
function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

const report: { status?: string; locked: number; leaseLost: number; ctxSetError?: string } = { locked: 0, leaseLost: 0 };
const deadline = Date.now() + 20_000;
while (Date.now() < deadline) {
  try {
    const result = await executeWorkflow({ store, job: { id: `${tag}-job`, name: 'leased', data: null }, uniqueBy: 'the-key', leaseMs, ...(maxBlockedMs !== undefined ? { maxBlockedMs } : {}) }, (w) => {
      w.step(
        'cpu',
        async (s) => {
          // Through s.tx in a transactional step (store.db would wait for the connection it holds on SQLite).
          await sql`insert into body_runs (proc, step, started_at) values (${tag}, 'cpu', ${Date.now()})`.execute(transactional ? s.tx : store.db);
          process.stdout.write('inside\n');
          blockEventLoop(blockMs);
          try {
            await s.ctx.set('who', tag);
          } catch (error) {
            report.ctxSetError = (error as Error).name;
            throw error;
          }
        },
        { transactional },
      );
      w.step('after', async () => {
        await sql`insert into body_runs (proc, step, started_at) values (${tag}, 'after', ${Date.now()})`.execute(store.db);
        // Keeps the key held a little after the blocking step, so a contender is locked out at least once.
        await new Promise((r) => setTimeout(r, 300));
      });
    });
    report.status = result.status;
    break;
  } catch (error) {
    if (error instanceof WorkflowLockedError) {
      report.locked++;
      await new Promise((r) => setTimeout(r, 50));
    } else if (error instanceof LeaseLostError) {
      report.leaseLost++;
      break;
    } else {
      throw error;
    }
  }
}
if (!keepOpen) await store.close();
process.stdout.write(`${JSON.stringify(report)}\n`);
