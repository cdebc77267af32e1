// Config of the dogfooding race run (test/dogfood/races.test.ts starts it as a
// child Vitest): the same instrumentation as the dogfooding simulation
// (./vitest.config.ts: the engine's own sources), plus the observed workflows,
// whose step bodies' awaits are scheduling points too. Only the *.races.ts
// files here are collected, which neither the outer suite nor the simulation collects.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import faultline from '../../transformer/vite.js';
import { packageAliases } from '../support/package-aliases.js';
import { dogfoodInstrumentation } from './vitest.config.js';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  plugins: [faultline({ ...dogfoodInstrumentation, include: [...dogfoodInstrumentation.include, 'test/dogfood/nested/observed-workflows.ts'] })],
  resolve: { alias: packageAliases },
  test: {
    include: ['test/dogfood/nested/*.races.ts'],
    pool: 'forks',
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
  },
});
