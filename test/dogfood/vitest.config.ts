// Config of the dogfooding run (test/dogfood/dogfood.test.ts starts it as a
// child Vitest; vitest.soak.config.ts runs it exhaustively). The faultline
// plugin instruments the workflow engine's OWN sources beside the fixtures, so
// a simulation glitches every line of the engine a transfer executes. Only the
// *.sim.ts files here are collected, which the outer suite never collects.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import faultline from '../../transformer/vite.js';

/**
 * A before-return glitch on a function that returns an in-flight promise —
 * `(trx) => boundaryAfter(r, trx, …)` inside `db.transaction().execute`, or a
 * handler `(job) => executeWorkflow(…)` — fails the caller while the promise's
 * work goes on, orphaned, so its eventual rejection is unhandled. Some such
 * rejections are the engine behaving correctly, and only these are not
 * reported: Kysely refusing the orphan's next query on the transaction that
 * was rolled back, and the engine refusing an orphaned execution racing the
 * queue's retry of the same job — WorkflowLockedError when the retry holds
 * the lease, LeaseLostError when the retry took it over mid-step (fencing).
 * Whether the race happens depends on timing; the scenario checks do not.
 */
function isOrphanedEngineWork(error: { name?: string; message?: string; stack?: string }): boolean {
  const stack = error.stack ?? '';
  if (error.message === 'Transaction is already rolled back') return stack.includes('workflow/queries.ts');
  return (error.name === 'WorkflowLockedError' || error.name === 'LeaseLostError') && stack.includes('workflow/engine.ts');
}

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  plugins: [faultline({ include: ['workflow/**', 'fixtures/workflows/**', 'fixtures/jobs/**'] })],
  test: {
    include: ['test/dogfood/nested/*.sim.ts'],
    pool: 'forks',
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
    onUnhandledError: (error) => !isOrphanedEngineWork(error),
  },
});
