/** The one include/exclude matcher and config loading every integration shares. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createFileMatcher, FaultlineConfigError, resolveIncludeOptions } from '../../transformer/include.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-include-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveIncludeOptions', () => {
  test('options win over the environment, which wins over faultline.config.json', () => {
    writeFileSync(join(dir, 'faultline.config.json'), JSON.stringify({ include: ['from-file/**'], exclude: ['x/**'] }));
    const env = { FAULTLINE_INCLUDE: 'a/**, b/**', FAULTLINE_EXCLUDE: '' };
    expect(resolveIncludeOptions({ include: 'opt/**' }, dir, env)).toEqual({ include: ['opt/**'], exclude: ['x/**'], root: dir });
    expect(resolveIncludeOptions({}, dir, env).include).toEqual(['a/**', 'b/**']);
    expect(resolveIncludeOptions({}, dir, {})).toEqual({ include: ['from-file/**'], exclude: ['x/**'], root: dir });
  });

  test('bad settings are FaultlineConfigErrors that name the problem', () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    expect(() => resolveIncludeOptions({}, empty, {})).toThrow(FaultlineConfigError);
    expect(() => resolveIncludeOptions({}, empty, {})).toThrow(/no include globs.*FAULTLINE_INCLUDE.*faultline\.config\.json/);
    expect(() => resolveIncludeOptions({ include: [42 as never] }, empty, {})).toThrow(/include must be a glob string.*42/);
    const broken = mkdtempSync(join(dir, 'broken-'));
    writeFileSync(join(broken, 'faultline.config.json'), '{ "include": [');
    expect(() => resolveIncludeOptions({}, broken, {})).toThrow(/faultline\.config\.json is not valid JSON/);
    expect(() => resolveIncludeOptions({}, empty, { FAULTLINE_CONFIG: 'nope.json' })).toThrow(/FAULTLINE_CONFIG names .*nope\.json/);
  });
});

describe('createFileMatcher', () => {
  const root = join(dir, 'project');
  mkdirSync(root, { recursive: true });
  const match = createFileMatcher({ include: ['src/jobs/**', 'lib/**'], exclude: ['src/jobs/**/*.test.ts'], root });

  test('matches code files under the include globs, relative to root, ignoring ?query', () => {
    expect(match(join(root, 'src/jobs/a.ts'))).toBe(true);
    expect(match('src/jobs/nested/b.mjs')).toBe(true);
    expect(match(join(root, 'src/jobs/c.tsx?v=123'))).toBe(true);
    expect(match(join(root, 'src/other.ts'))).toBe(false);
    expect(match(join(root, 'src/jobs/a.test.ts'))).toBe(false);
    expect(match(join(root, 'src/jobs/types.d.ts'))).toBe(false);
    expect(match(join(root, 'src/jobs/data.json'))).toBe(false);
    expect(match('\0virtual:src/jobs/x.ts')).toBe(false);
  });

  test('node_modules only when an include names it', () => {
    expect(createFileMatcher({ include: ['**'], exclude: [], root })(join(root, 'node_modules/pkg/index.js'))).toBe(false);
    expect(createFileMatcher({ include: ['node_modules/pkg/**'], exclude: [], root })(join(root, 'node_modules/pkg/index.js'))).toBe(true);
  });

  test('remembers what matched, and which include globs never did', () => {
    expect(match.matchedCount).toBe(3);
    expect(match.unmatchedIncludes()).toEqual(['lib/**']);
  });
});
