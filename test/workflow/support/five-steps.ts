/**
 * The 5-step workflow the crash-safety test runs in worker processes: three
 * plain steps (at-least-once effects in `plain_effects`) and two transactional
 * ones (exactly-once effects in `tx_effects`), with a context value crossing steps.
 */
import { executeWorkflow, type WorkflowResult, type WorkflowStore } from '../../../workflow/index.js';

export const FIVE_STEPS = ['reserve', 'debit', 'remember', 'credit', 'notify'] as const;
export const TRANSACTIONAL = new Set(['debit', 'credit']);

/** Creates the effect tables (no unique constraints: a duplicate must show as a second row). */
export async function createEffectTables(store: WorkflowStore): Promise<void> {
  for (const table of ['plain_effects', 'tx_effects']) {
    await store.db.schema.createTable(table).ifNotExists().addColumn('workflow', 'integer').addColumn('step', 'text').execute();
  }
}

/** `hook(point)` runs at interesting points inside step bodies (the crash worker may die there). */
export function runFiveSteps(store: WorkflowStore, n: number, hook: (point: string) => void, leaseMs: number): Promise<WorkflowResult> {
  return executeWorkflow({ store, job: { id: `job-${n}`, name: 'five-steps', data: { n } }, uniqueBy: { n }, leaseMs }, (w) => {
    w.step('reserve', async () => {
      hook('reserve:before');
      await store.db.insertInto('plain_effects').values({ workflow: n, step: 'reserve' }).execute();
      hook('reserve:after');
    });
    w.step(
      'debit',
      async (s) => {
        hook('debit:before');
        await s.tx.insertInto('tx_effects').values({ workflow: n, step: 'debit' }).execute();
        hook('debit:inside');
      },
      { transactional: true },
    );
    w.step('remember', async (s) => {
      await s.ctx.set('note', n * 2);
      hook('remember:after-ctx');
      await store.db.insertInto('plain_effects').values({ workflow: n, step: 'remember' }).execute();
    });
    w.step(
      'credit',
      async (s) => {
        const note = await s.ctx.get<number>('note');
        if (note !== n * 2) throw new Error(`context lost: note is ${note}`);
        await s.tx.insertInto('tx_effects').values({ workflow: n, step: 'credit' }).execute();
        hook('credit:inside');
      },
      { transactional: true },
    );
    w.step('notify', async () => {
      await store.db.insertInto('plain_effects').values({ workflow: n, step: 'notify' }).execute();
      hook('notify:after');
    });
  });
}
