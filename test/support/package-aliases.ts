/**
 * Vite aliases that resolve `faultline`, `faultline/workflow`, … to this
 * checkout's sources, so fixtures and tests import the package by name as
 * users do (and share one copy of the runtime with the tests that import the
 * sources directly). Every Vitest config of the repository uses them, nested
 * runs included; tsx (demo, bench) resolves the same names through
 * tsconfig.json's `paths`.
 */
import { fileURLToPath } from 'node:url';
import { entries } from '../../tsup.config.js';

/** One alias per public entry point (not the CLI binary nor the register hooks' worker module). */
export const packageAliases = Object.entries(entries)
  .filter(([name]) => name !== 'cli' && name !== 'register-hooks')
  .map(([name, source]) => ({
    find: new RegExp(`^faultline${name === 'index' ? '' : `/${name}`}$`),
    replacement: fileURLToPath(new URL(`../../${source}`, import.meta.url)),
  }));
