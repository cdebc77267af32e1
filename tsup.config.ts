import { defineConfig } from 'tsup';

/** Every public entry point (see package.json "exports"), built as ESM and CommonJS with types. */
export const entries = {
  index: 'runtime/index.ts',
  transformer: 'transformer/index.ts',
  tsc: 'transformer/tsc.ts',
  vite: 'transformer/vite.ts',
  register: 'transformer/register.ts',
  'register-hooks': 'transformer/register-hooks.ts',
  jest: 'transformer/jest.ts',
  vitest: 'runtime/harness/vitest.ts',
  workflow: 'workflow/index.ts',
  bullmq: 'runtime/harness/drivers/bullmq.ts',
  'pg-boss': 'runtime/harness/drivers/pg-boss.ts',
  cli: 'cli/main.ts',
};

export default defineConfig({
  entry: entries,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  shims: true,
  splitting: true,
  external: [/^[^./]/],
});
