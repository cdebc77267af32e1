/** The README's "write a driver in under 50 lines" snippet is exactly the driver the order cases run. */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

test('docs/drivers.md shows test/drivers/table-driver.ts verbatim, under 50 lines', () => {
  const source = readFileSync(new URL('./table-driver.ts', import.meta.url), 'utf8');
  const docs = readFileSync(new URL('../../docs/drivers.md', import.meta.url), 'utf8');
  expect(docs).toContain('```ts\n' + source.replace("from '../../runtime/index.js'", "from 'faultline'") + '```');
  expect(source.trimEnd().split('\n').length).toBeLessThan(50);
});
