/** The demo's progress display: one line redrawn in place on a terminal, plain lines elsewhere. */
import { expect, test } from 'vitest';
import type { ScenarioResult } from '../../runtime/index.js';
import { progressReporter } from '../../demo/progress.js';

const result = (name: string, passed: boolean) => ({ name, passed }) as ScenarioResult;

function capture(isTTY: boolean, columns = 80) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns, write: (chunk: string) => chunks.push(chunk) } };
}

test('on a terminal it redraws one line with \\r and ends it once all scenarios are done', () => {
  const { chunks, stream } = capture(true);
  const report = progressReporter(stream, 'naive');
  report({ done: 0, total: 2 });
  report({ done: 1, total: 2, last: result('before-line a.ts:1', false) });
  report({ done: 2, total: 2, last: result('before-line a.ts:2', true) });
  const text = chunks.join('');
  expect(text.split('\n')).toHaveLength(2); // one line, one final newline
  expect(text.endsWith('\n')).toBe(true);
  expect(chunks.filter((c) => c.startsWith('\r'))).toHaveLength(3);
  expect(chunks[1]).toContain('1/2 ✗ before-line a.ts:1');
  expect(chunks[2]).toContain('2/2 ✓ before-line a.ts:2');
  expect(chunks[2]).toContain('█'.repeat(24));
});

test('on a terminal a long line is cut to the width', () => {
  const { chunks, stream } = capture(true, 40);
  progressReporter(stream, 'naive')({ done: 1, total: 9, last: result(`before-line ${'x'.repeat(80)}.ts:1`, true) });
  const visible = chunks[0]!.replace('\r', '').replace('\x1b[K', '');
  expect(visible.length).toBeLessThanOrEqual(39);
  expect(visible.endsWith('…')).toBe(true);
});

test('elsewhere it prints one plain line per scenario, no control characters', () => {
  const { chunks, stream } = capture(false);
  const report = progressReporter(stream, 'naive');
  report({ done: 0, total: 10 });
  report({ done: 3, total: 10, last: result('before-call a.ts:f', false) });
  expect(chunks).toEqual(['naive: running 10 scenarios\n', 'naive:  3/10 FAILED before-call a.ts:f\n']);
});
