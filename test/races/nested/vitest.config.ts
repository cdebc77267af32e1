// Config of the nested Vitest run in test/races/describe-races.test.ts: the
// repository root (so keys read fixtures/jobs/…), the faultline plugin, and
// only the *.races.ts files here, which the outer suite does not collect.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import faultline from '../../../transformer/vite.js';
import { packageAliases } from '../../support/package-aliases.js';

export default defineConfig({
  root: fileURLToPath(new URL('../../..', import.meta.url)),
  plugins: [faultline({ include: ['fixtures/jobs/**'] })],
  resolve: { alias: packageAliases },
  test: {
    include: ['test/races/nested/*.races.ts'],
    pool: 'forks',
  },
});
