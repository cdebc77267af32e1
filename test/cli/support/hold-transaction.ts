/**
 * Child process for the CLI's "reads beside a worker" test: runs a workflow on
 * the store at argv[2] whose transactional step writes a row, prints
 * "inside", and stays inside its open write transaction until stdin closes.
 */
import { sql } from 'kysely';
import { executeWorkflow, openStore } from '../../../workflow/index.js';

const store = await openStore(process.argv[2]!);
await sql`create table if not exists app_orders (id integer primary key)`.execute(store.db);
await executeWorkflow({ store, job: { id: 'held-1', name: 'held', data: null }, uniqueBy: 'held' }, (w) => {
  w.step(
    'write',
    async (s) => {
      await sql`insert into app_orders (id) values (1)`.execute(s.tx);
      process.stdout.write('inside\n');
      await new Promise<void>((resolve) => {
        process.stdin.on('end', resolve).resume();
      });
    },
    { transactional: true },
  );
});
await store.close();
