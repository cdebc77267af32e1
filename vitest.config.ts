import { defineConfig } from 'vitest/config';
import faultline from './transformer/vite.js';
import { packageAliases } from './test/support/package-aliases.js';

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
