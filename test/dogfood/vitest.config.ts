// Config of the dogfooding run (test/dogfood/dogfood.test.ts starts it as a
// child Vitest; vitest.soak.config.ts runs it exhaustively). The faultline
// plugin instruments the workflow engine's OWN sources beside the fixtures, so
// a simulation glitches every line of the engine a transfer executes. Only the
// *.sim.ts files here are collected, which the outer suite never collects.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import faultline from '../../transformer/vite.js';

/**
 * A before-return glitch on an arrow that returns an in-flight promise, such
 * as `(trx) => boundaryAfter(r, trx, …)` inside `db.transaction().execute`,
 * throws after the promise's work has started: Kysely rolls the transaction
 * back, and the orphaned work's next query fails with Kysely's "already rolled
 * back" error, which nobody awaits. Correct engine behaviour (the write is
 * refused and the scenario's check still passes), so only exactly that error,
 * from the engine's own queries, is not reported as an unhandled error.
 */
function isOrphanedEngineQuery(error: { message?: string; stack?: string }): boolean {
  return error.message === 'Transaction is already rolled back' && (error.stack ?? '').includes('workflow/queries.ts');
}

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  plugins: [faultline({ include: ['workflow/**', 'fixtures/workflows/**', 'fixtures/jobs/**'] })],
  test: {
    include: ['test/dogfood/nested/*.sim.ts'],
    pool: 'forks',
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
    onUnhandledError: (error) => !isOrphanedEngineQuery(error),
  },
});
