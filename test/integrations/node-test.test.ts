/**
 * faultline/register under node:test, with the one command README.md and
 * docs/integrations.md give for TypeScript tests on Node 20 and 22: the shell
 * lists the files (Node 20's `--test` takes paths, neither globs nor the .ts
 * files of a directory; Node 22 takes globs and refuses a directory), tsx
 * strips the types and faultline instruments src/jobs/**. Run in a copy of
 * fixtures/projects/tsc-app with faultline installed by package name; its
 * .ts tests sit at two depths (test/trace.test.ts, test/hooks/charge.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { consumerProject, repo } from '../../support/package.js';

/** The documented node:test command line of a doc (the one shell line running `--test` over `find`). */
function documentedCommand(doc: string): string {
  const lines = readFileSync(join(repo, doc), 'utf8').split('\n').filter((line) => line.includes('--test $(find'));
  expect(lines, doc).toHaveLength(1);
  return lines[0]!.trim();
}

let project: Awaited<ReturnType<typeof consumerProject>>;
beforeAll(async () => {
  project = await consumerProject('tsc-app', { runtime: true });
}, 120_000);
afterAll(() => project?.remove());

function sh(command: string) {
  const { FAULTLINE_INCLUDE: _ignored, ...env } = process.env;
  return spawnSync('sh', ['-c', command], { cwd: project.dir, encoding: 'utf8', env });
}

describe('node:test over TypeScript tests with faultline/register', () => {
  test('README and docs/integrations.md give the same command', () => {
    expect(documentedCommand('README.md')).toBe(documentedCommand('docs/integrations.md'));
  });

  test(`the documented command runs every .ts test, instrumented, on this Node (${process.version})`, () => {
    const run = sh(documentedCommand('docs/integrations.md'));
    expect(run.stdout, run.stderr).toContain('# tests 2');
    expect(run.stdout).toContain('# pass 2');
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });

  test('what the docs warn about: a quoted glob is expanded by Node 22+ only', () => {
    const run = sh(`node --import tsx --import faultline/register --test "test/**/*.test.ts"`);
    if (Number(process.versions.node.split('.')[0]) >= 22) {
      expect(run.stdout).toContain('# pass 2');
    } else {
      expect(run.status).not.toBe(0);
      expect(run.stdout + run.stderr).toContain("Could not find '");
    }
  });
});
