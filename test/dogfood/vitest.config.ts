// Config of the dogfooding run (test/dogfood/dogfood.test.ts starts it as a
// child Vitest; vitest.soak.config.ts runs it exhaustively). The faultline
// plugin instruments the workflow engine's OWN sources beside the fixtures, so
// a simulation glitches every line of the engine a transfer executes. Only the
// *.sim.ts files here are collected, which the outer suite never collects.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import faultline from '../../transformer/vite.js';
import { packageAliases } from '../support/package-aliases.js';

// one-connection.ts hands SQLite's and PGlite's one connection out, like the
// pools inside Kysely's own drivers (not instrumented either): a glitch
// there would simulate a failure that cannot happen and wedge it. The same
// holds for closable-dialect.ts, a pass-through in front of those drivers.
// The lease renewer (lease-renewal.ts and its thread's source) runs on
// timers and in another thread, outside any job: a glitch there would be an
// uncaught error no real failure produces. pglite-dialect.ts and the pg
// pool's query router in dialects.ts are the driver between Kysely and the
// database, like Kysely's own drivers: after a crash, the ROLLBACK Kysely
// sends through them stands for the rollback a server does when a dead
// worker's connection drops, so they must stay plain code (a probe there
// would stop it, leaving the transaction open: a wedge no crash produces).
/** What the dogfooding runs instrument: the engine's own sources and the fixtures (races.vitest.config.ts adds its job module). */
export const dogfoodInstrumentation = {
  include: ['workflow/**', 'fixtures/workflows/**', 'fixtures/jobs/**'],
  exclude: [
    'workflow/one-connection.ts',
    'workflow/closable-dialect.ts',
    'workflow/pglite-dialect.ts',
    'workflow/dialects.ts',
    'workflow/lease-renewal.ts',
    'workflow/renewer-thread.ts',
  ],
};

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  plugins: [faultline(dogfoodInstrumentation)],
  resolve: { alias: packageAliases },
  test: {
    include: ['test/dogfood/nested/*.sim.ts'],
    pool: 'forks',
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
  },
});
