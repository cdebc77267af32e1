/**
 * faultline/vitest's describeRaces in a real nested `vitest run`
 * (test/races/nested/signup.races.ts): one test per schedule, named by it,
 * failing exactly where the signup races, and selectable with `-t`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

interface AssertionResult {
  fullName: string;
  title: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
  failureMessages: string[];
}
interface JsonReport {
  testResults: { assertionResults: AssertionResult[] }[];
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-describe-races-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function nestedVitest(name: string, extraArgs: string[]): Promise<AssertionResult[]> {
  const outputFile = join(dir, `${name}.json`);
  const args = ['vitest', 'run', '--config', 'test/races/nested/vitest.config.ts', '--reporter=json', `--outputFile=${outputFile}`, ...extraArgs];
  return new Promise((resolve, reject) => {
    execFile('npx', args, { timeout: 120_000 }, async (error, stdout, stderr) => {
      try {
        const json = JSON.parse(await readFile(outputFile, 'utf8')) as JsonReport;
        resolve(json.testResults.flatMap((file) => file.assertionResults));
      } catch (readError) {
        reject(new Error(`nested vitest wrote no JSON report (${String(error ?? readError)}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

const RACING = 'signup#a at signup-race.ts:33 → signup#b to the end → signup#a to the end';

describe('faultline/vitest describeRaces', () => {
  let full: Promise<AssertionResult[]>;
  let filtered: Promise<AssertionResult[]>;
  beforeAll(() => {
    full = nestedVitest('full', []);
    filtered = nestedVitest('filtered', ['-t', '^signup signup#a at signup-race\\.ts:33 → signup#b to the end → signup#a to the end$']);
    for (const run of [full, filtered]) run.catch(() => undefined);
  });

  test('one test per schedule, named by it; the racing ones fail with the run', async () => {
    const results = await full;
    const passed = results.filter((r) => r.status === 'passed').map((r) => r.title);
    const failed = results.filter((r) => r.status === 'failed');
    expect(passed).toEqual(expect.arrayContaining(['signup#a to the end → signup#b to the end', 'signup#b to the end → signup#a to the end']));
    expect(failed.map((r) => r.title)).toContain(RACING);
    const message = failed.find((r) => r.title === RACING)!.failureMessages.join('\n');
    expect(message).toContain(`ScenarioFailedError: ${RACING}: AssertionError`);
    expect(message).toMatch(/1\. signup#a: start → signup-race.ts:33/);
    expect(results.every((r) => r.fullName.startsWith('signup '))).toBe(true);
  });

  test('-t selects one schedule', async () => {
    const results = await filtered;
    const ran = results.filter((r) => r.status === 'passed' || r.status === 'failed');
    expect(ran.map((r) => `${r.title}: ${r.status}`)).toEqual([`${RACING}: failed`]);
  });
});
