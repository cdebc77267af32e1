import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import faultline from './transformer/vite.js';
import { entries } from './tsup.config.js';

/** `faultline`, `faultline/workflow`, … resolve to the sources, so tests import the package as users do. */
const packageAliases = Object.entries(entries)
  .filter(([name]) => name !== 'cli' && name !== 'register-hooks')
  .map(([name, source]) => ({
    find: new RegExp(`^faultline${name === 'index' ? '' : `/${name}`}$`),
    replacement: fileURLToPath(new URL(source, import.meta.url)),
  }));

export default defineConfig({
  plugins: [faultline({ include: ['fixtures/jobs/**', 'fixtures/workflows/**'] })],
  resolve: { alias: packageAliases },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
