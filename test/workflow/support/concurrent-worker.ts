/**
 * Child process for the concurrency test: keeps executing one workflow key
 * (argv[3]) on the store at argv[2] until it is finished, retrying when locked.
 * Step bodies bump a shared `active` counter in the database on entry and drop
 * it on exit; a value above 1 on entry means two bodies overlapped. The
 * workflow halts once and fails twice on purpose, so the lease changes hands.
 * Prints JSON: which step bodies this process ran.
 */
import { sql } from 'kysely';
import { executeWorkflow, openStore, WorkflowLockedError } from '../../../workflow/index.js';

const [url, name, tag] = process.argv.slice(2) as [string, string, string];
const store = await openStore(url);
const ran: string[] = [];

async function body(step: string): Promise<void> {
  const { rows } = await sql<{ active: number }>`update overlap set active = active + 1 returning active`.execute(store.db);
  if (Number(rows[0]!.active) > 1) await sql`insert into overlap_violations (proc, step) values (${tag}, ${step})`.execute(store.db);
  ran.push(step);
  await new Promise((r) => setTimeout(r, 5));
  await sql`insert into step_runs (proc, step) values (${tag}, ${step})`.execute(store.db);
  await sql`update overlap set active = active - 1`.execute(store.db);
}

class Flaky extends Error {}

for (;;) {
  try {
    const result = await executeWorkflow({ store, job: { id: `${tag}-job`, name, data: null }, uniqueBy: 'the-one' }, (w) => {
      w.step('a', () => body('a'));
      w.step('b', async (s) => {
        await body('b');
        if (!(await s.ctx.get('resumed'))) {
          await s.ctx.set('resumed', true);
          return s.halt();
        }
      });
      w.step('c', async (s) => {
        await body('c');
        const failures = (await s.ctx.get<number>('failures')) ?? 0;
        if (failures < 2) {
          await s.ctx.set('failures', failures + 1);
          throw new Flaky(`planned failure ${failures + 1}`);
        }
      });
      w.step('d', () => body('d'), { transactional: false });
      w.step('e', () => body('e'));
    });
    if (result.status === 'finished') break;
  } catch (error) {
    if (!(error instanceof WorkflowLockedError || error instanceof Flaky)) throw error;
    await new Promise((r) => setTimeout(r, 2));
  }
}
await store.close();
process.stdout.write(JSON.stringify(ran));
