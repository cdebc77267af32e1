import { defineConfig } from 'vitest/config';
import faultline from './transformer/vite.js';

export default defineConfig({
  plugins: [faultline({ include: ['fixtures/jobs/**', 'fixtures/workflows/**'] })],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
