// `npm run soak`: the long runs kept out of `npm test`. The crash-safety test
// with 500 SIGKILLs per store, the exhaustive dogfooding simulation (every
// traced engine point, all four glitch kinds, SQLite, PGlite and Postgres), and
// the dogfooding races with two preemptions (npm test explores one).
import { defineConfig } from 'vitest/config';
import faultline from './transformer/vite.js';
import { packageAliases } from './test/support/package-aliases.js';

export default defineConfig({
  plugins: [faultline({ include: ['fixtures/jobs/**', 'fixtures/workflows/**'] })],
  resolve: { alias: packageAliases },
  test: {
    include: ['test/workflow/crash.test.ts', 'test/dogfood/dogfood.test.ts', 'test/dogfood/races.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    env: { SOAK_KILLS: '500', DOGFOOD_SAMPLE: 'all', DOGFOOD_RACES_PREEMPTIONS: '2', DOGFOOD_RACES_SCHEDULES: '1000' },
    testTimeout: 4 * 60 * 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
