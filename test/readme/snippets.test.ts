/**
 * The README's snippets are real: a block marked `<!-- file: path -->` is that
 * file verbatim (and the file runs in the suite); a block marked
 * `<!-- excerpt: path -->` has every code line in that file.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const readme = readFileSync(resolve(repo, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/<!-- (file|excerpt): (\S+) -->\n```\w*\n([\s\S]*?)```/g)].map(([, mode, path, body]) => ({
  mode: mode as 'file' | 'excerpt',
  path: path!,
  body: body!,
}));

describe('README snippets', () => {
  test('there are marked snippets', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
  });

  test.each(blocks.map((b) => [`${b.mode} ${b.path}`, b] as const))('%s', (_name, block) => {
    const source = readFileSync(resolve(repo, block.path), 'utf8');
    if (block.mode === 'file') {
      expect(block.body.trim()).toBe(source.trim());
      return;
    }
    const lines = new Set(source.split('\n').map((line) => line.trim()));
    const code = block.body.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('//'));
    for (const line of code) expect(lines, `${block.path} has no line ${JSON.stringify(line)}`).toContain(line);
  });
});
