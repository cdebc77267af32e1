import { expect, test } from 'vitest';
import { transfer } from '../../fixtures/jobs/transfer.js';

test('fixtures/jobs are instrumented by the root vitest config', () => {
  expect(transfer.toString()).toContain('__fl$');
});
