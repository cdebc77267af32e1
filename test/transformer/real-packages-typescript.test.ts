/** typescript/lib (typescript.js is ~9 MB, the largest file we expect) instruments and re-parses. */
import { expect, test } from 'vitest';
import { instrumentPackage } from './real-packages.js';

test('every source file of typescript/lib instruments and re-parses', () => {
  expect(instrumentPackage('typescript/lib')).toBeGreaterThan(0);
});
