/**
 * faultline/vitest's lifecycle in a real nested `vitest run` of
 * test/harness/nested/lifecycle.sim.ts: setup before the clean run (which
 * happens at collection, before beforeAll), teardown after the last scenario,
 * a dead-lettered job failing the clean run and every scenario with
 * JobFailedError, and the real Date back after the file by itself.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';

interface AssertionResult {
  ancestorTitles: string[];
  title: string;
  status: string;
  failureMessages: string[];
}

let dir: string;
let results: AssertionResult[];
let log: string[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-vitest-lifecycle-'));
  const outputFile = join(dir, 'vitest.json');
  const logFile = join(dir, 'lifecycle.log');
  const args = ['vitest', 'run', '--config', 'test/harness/nested/vitest.config.ts', '--reporter=json', `--outputFile=${outputFile}`, 'lifecycle.sim'];
  await new Promise<void>((resolve) => {
    execFile('npx', args, { env: { ...process.env, FAULTLINE_LIFECYCLE_LOG: logFile }, timeout: 120_000 }, () => resolve());
  });
  const json = JSON.parse(await readFile(outputFile, 'utf8')) as { testResults: { assertionResults: AssertionResult[] }[] };
  results = json.testResults.flatMap((file) => file.assertionResults);
  log = (await readFile(logFile, 'utf8')).trim().split('\n');
}, 180_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('setup runs before the clean run, at collection, before beforeAll; teardown after the last scenario', () => {
  expect(log).toEqual([
    'setup',
    'reset (clean run)',
    'beforeAll',
    'reset (scenario)',
    'reset (scenario)',
    'teardown',
    'after the file: virtual clock installed false',
  ]);
});

test('a dead-lettered job fails the clean run and every scenario with JobFailedError, unless allowed', () => {
  const block = results.filter((r) => r.ancestorTitles[0] === 'dead-lettered import');
  expect(block.map((r) => r.title)[0]).toBe('clean run');
  expect(block).toHaveLength(3);
  for (const result of block) {
    expect(result.status).toBe('failed');
    expect(result.failureMessages.join('\n')).toContain('JobFailedError: Job import#2 failed for good after 2 attempts');
  }
  const allowed = results.filter((r) => r.ancestorTitles[0] === 'allowed to fail');
  expect(allowed.map((r) => r.status)).toEqual(['passed', 'passed']);
});

test("the README's shape: a store opened in setup is there for the clean run's reset, and closed in teardown", () => {
  const block = results.filter((r) => r.ancestorTitles[0] === 'transfer');
  expect(block.map((r) => `${r.title}: ${r.status}`)).toEqual([
    'clean run: passed',
    expect.stringMatching(/: passed$/),
    expect.stringMatching(/: passed$/),
  ]);
});
