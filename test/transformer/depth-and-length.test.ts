/**
 * Hostile shapes of source (issue 13, items 1 and 2): nesting deeper than a
 * recursive walk can follow, and files on one very long line. Deep files
 * instrument and run to the same value, or fail with an error naming the
 * file; long lines cost what the same code on many lines costs, counted in
 * work (characters scanned), not in time.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deepParentheses, elseIfChain, functionsModule, longSum, parenthesizedArrowsLine } from '../../fixtures/generated-sources.js';
import { instrument, InstrumentDepthError } from '../../transformer/index.js';
import { consumerProject } from '../../support/package.js';

const work = mkdtempSync(path.join(tmpdir(), 'faultline-depth-'));
writeFileSync(path.join(work, 'package.json'), '{"type":"module"}');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What `run()` of the module `code` returns in a fresh Node process (default stack, no runtime loaded). */
function runInNode(name: string, code: string): string {
  const file = path.join(work, name);
  writeFileSync(file, code);
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', `const { run } = await import(${JSON.stringify(`file://${file}`)}); console.log(run());`], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim();
}

/** Nesting Node runs but no parser stack of any size this side of memory follows. */
const TOO_DEEP = 300_000;

describe('deep nesting', () => {
  test('1,000 nested parentheses instrument, and the output runs in Node to the same value', () => {
    const code = deepParentheses(1000);
    const result = instrument(code, path.join(work, 'parens.js'), { root: work });
    expect(result.sites.map((site) => site.kind)).toEqual(['call', 'line', 'return']);
    expect(runInNode('parens-instrumented.js', result.code)).toBe(runInNode('parens-plain.js', code));
    expect(runInNode('parens-plain.js', code)).toBe('1');
  });

  test('a 20,000-term sum instruments, and the output runs in Node to the same value', () => {
    const code = longSum(20_000);
    const result = instrument(code, path.join(work, 'sum.js'), { root: work });
    expect(result.code.split('\n')).toHaveLength(code.split('\n').length);
    expect(runInNode('sum-instrumented.js', result.code)).toBe('40000');
    expect(runInNode('sum-plain.js', code)).toBe('40000');
  });

  test('a 1,000-long else-if chain instruments, and the output runs in Node to the same value', () => {
    const code = elseIfChain(1000);
    const result = instrument(code, path.join(work, 'chain.js'), { root: work });
    // Every branch ends in a return, so the chain gets no after-line probe (only the `const` before it does).
    expect(result.sites.filter((site) => site.kind === 'after').map((site) => site.line)).toEqual([2]);
    expect(result.sites.filter((site) => site.kind === 'return')).toHaveLength(1001);
    expect(runInNode('chain-instrumented.js', result.code)).toBe('999');
    expect(runInNode('chain-plain.js', code)).toBe('999');
  });

  test('a 50,000-long else-if chain (too deep for Node to run) still instruments, every branch probed', () => {
    const result = instrument(elseIfChain(50_000), path.join(work, 'long-chain.js'), { root: work });
    expect(result.sites.filter((site) => site.kind === 'return')).toHaveLength(50_001);
    expect(result.sites.filter((site) => site.kind === 'after').map((site) => site.line)).toEqual([2]);
  });

  test('an ignore hint in a file parsed on the large stack is restated after the probe it precedes', () => {
    const code = deepParentheses(1000).replace('  return', '  /* istanbul ignore next */ return');
    const result = instrument(code, path.join(work, 'hinted.js'), { root: work });
    const line = result.code.split('\n')[1]!;
    expect(line.indexOf('/* istanbul ignore next */return')).toBeGreaterThan(line.indexOf('__fl$.l('));
  });

  test('nesting deeper than the parser can follow is an InstrumentDepthError naming the file', () => {
    let error: unknown;
    try {
      instrument(deepParentheses(TOO_DEEP), path.join(work, 'src/too-deep.js'), { root: work });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InstrumentDepthError);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as InstrumentDepthError).file).toBe('src/too-deep.js');
    expect((error as Error).message).toMatch(/^src\/too-deep\.js: nesting too deep to parse/);
  });
});

describe('deep nesting through faultline/register', () => {
  let project: Awaited<ReturnType<typeof consumerProject>>;
  beforeAll(async () => {
    project = await consumerProject('tsc-app');
    mkdirSync(path.join(project.dir, 'src/deep'));
    writeFileSync(path.join(project.dir, 'src/deep/parens.mjs'), deepParentheses(1000) + 'console.log(run());\n');
    writeFileSync(path.join(project.dir, 'src/deep/too-deep.mjs'), deepParentheses(TOO_DEEP));
    writeFileSync(path.join(project.dir, 'src/deep/too-deep.cjs'), deepParentheses(TOO_DEEP).replace('export function run', 'exports.run = function run'));
  }, 120_000);
  afterAll(() => project?.remove());

  const node = (...args: string[]) =>
    spawnSync('node', ['--import', 'faultline/register', ...args], { cwd: project.dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, FAULTLINE_INCLUDE: 'src/deep/**' } });

  test('a 1,000-deep file loads instrumented and runs', () => {
    const result = node('src/deep/parens.mjs');
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('1');
  });

  test.each(['too-deep.mjs', 'too-deep.cjs'])('a file too deep to parse (%s) fails to load with an error naming it', (file) => {
    const result = node(`src/deep/${file}`);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('InstrumentDepthError');
    expect(result.stderr).toContain(`src/deep/${file}: nesting too deep`);
  });
});

describe('long lines', () => {
  /**
   * Characters `String#indexOf`/`lastIndexOf` scan while instrumenting `code`:
   * the instrumenter finds newlines with them, so one that rescans a line per
   * insertion scans (insertions × line length) characters.
   */
  function charactersScanned(code: string): number {
    const { indexOf, lastIndexOf } = String.prototype;
    let scanned = 0;
    String.prototype.indexOf = function (this: string, search: string, from = 0) {
      const found = indexOf.call(this, search, from);
      scanned += (found === -1 ? this.length : found) - Math.max(0, from);
      return found;
    };
    String.prototype.lastIndexOf = function (this: string, search: string, from = Infinity) {
      const found = lastIndexOf.call(this, search, from);
      scanned += Math.min(from, this.length) - Math.max(found, 0);
      return found;
    };
    try {
      instrument(code, path.join(work, 'long.js'), { root: work });
    } finally {
      String.prototype.indexOf = indexOf;
      String.prototype.lastIndexOf = lastIndexOf;
    }
    return scanned;
  }

  test('a 300 kB file on one line is scanned about once, like the same code on many lines', () => {
    const oneLine = functionsModule(300_000, ' ');
    const manyLines = functionsModule(300_000, '\n');
    expect(oneLine.split('\n')).toHaveLength(2);
    const scannedOne = charactersScanned(oneLine);
    expect(scannedOne).toBeLessThanOrEqual(2 * oneLine.length);
    expect(scannedOne).toBeLessThanOrEqual(2 * charactersScanned(manyLines));
  });

  test('a file on one line of parenthesized arrow bodies (mapped past their parentheses) is scanned about once', () => {
    const code = parenthesizedArrowsLine(5000);
    expect(charactersScanned(code)).toBeLessThanOrEqual(2 * code.length);
    const result = instrument(code, path.join(work, 'arrows.js'), { root: work });
    expect(runInNode('arrows-instrumented.js', result.code)).toBe(runInNode('arrows-plain.js', code));
  });

  test('a 3 MB file on one line instruments to one line that runs to the same value', () => {
    const code = functionsModule(3_000_000, ' ');
    const result = instrument(code, path.join(work, 'long-line.js'), { root: work });
    expect(result.code.split('\n')).toHaveLength(2);
    expect(result.sites.length).toBeGreaterThan(100_000);
    expect(runInNode('long-instrumented.js', result.code)).toBe(runInNode('long-plain.js', code));
  });
});
