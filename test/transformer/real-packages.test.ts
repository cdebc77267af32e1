/** Real packages (besides typescript, which has its own file so the two run in parallel) instrument and re-parse. */
import { expect, test } from 'vitest';
import { instrumentPackage } from './real-packages.js';

test.each(['bullmq/dist', 'kysely/dist', 'zod', 'date-fns'])('every source file of %s instruments and re-parses', (dir) => {
  expect(instrumentPackage(dir)).toBeGreaterThan(0);
});
