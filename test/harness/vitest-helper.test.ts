import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ReportJSON } from '../../runtime/harness/report.js';
import { NAIVE_TRANSFER_FAILING } from '../support/naive-transfer.js';

// A real nested `vitest run` on test/harness/nested/transfer.sim.ts, which
// turns two simulations into tests with faultline/vitest's describeSimulation.

interface AssertionResult {
  ancestorTitles: string[];
  title: string;
  fullName: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
  failureMessages: string[];
}
interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numTotalTests: number;
  testResults: { assertionResults: AssertionResult[] }[];
}

const NAIVE_PASSING = [
  'clean run',
  'before-call fixtures/jobs/transfer.ts:transfer',
  'before-line fixtures/jobs/transfer.ts:15',
  'before-line fixtures/jobs/transfer.ts:16',
  'before-call fixtures/jobs/bank.ts:debit',
  'before-line fixtures/jobs/bank.ts:35',
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-vitest-helper-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the nested Vitest with the JSON reporter; resolves with its report (it exits 1 when tests fail, as expected). */
function nestedVitest(name: string, extraArgs: string[]): Promise<{ json: JsonReport; reportPath: string }> {
  const outputFile = join(dir, `${name}.vitest.json`);
  const reportPath = join(dir, `${name}.faultline.json`);
  const args = ['vitest', 'run', '--config', 'test/harness/nested/vitest.config.ts', '--reporter=json', `--outputFile=${outputFile}`, ...extraArgs];
  return new Promise((resolve, reject) => {
    execFile('npx', args, { env: { ...process.env, FAULTLINE_REPORT: reportPath }, timeout: 120_000 }, async (error, stdout, stderr) => {
      try {
        const json = JSON.parse(await readFile(outputFile, 'utf8')) as JsonReport;
        resolve({ json, reportPath });
      } catch (readError) {
        reject(new Error(`nested vitest wrote no JSON report (${String(error ?? readError)}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

const byStatus = (json: JsonReport, block: string, status: AssertionResult['status']) =>
  json.testResults
    .flatMap((file) => file.assertionResults)
    .filter((result) => result.ancestorTitles[0] === block && result.status === status)
    .map((result) => result.title);

describe('faultline/vitest describeSimulation', () => {
  let fullRun: Promise<{ json: JsonReport; reportPath: string }>;
  let filteredRun: Promise<{ json: JsonReport; reportPath: string }>;
  beforeAll(() => {
    // Both nested runs at once: they share nothing but the fixtures' source.
    fullRun = nestedVitest('full', ['transfer.sim']);
    filteredRun = nestedVitest('filtered', ['transfer.sim', '-t', 'transfer\\.ts:17$']);
    // Awaited by the tests below; this only keeps an early failure from counting as unhandled.
    for (const run of [fullRun, filteredRun]) run.catch(() => undefined);
  });

  test('one test per scenario, named by the scenario, failing exactly where the job is unsafe', async () => {
    const { json } = await fullRun;
    expect(byStatus(json, 'naive transfer', 'failed')).toEqual(NAIVE_TRANSFER_FAILING);
    expect(byStatus(json, 'naive transfer', 'passed')).toEqual(NAIVE_PASSING);
    expect(byStatus(json, 'safe transfer', 'failed')).toEqual([]);
    const safePassed = byStatus(json, 'safe transfer', 'passed');
    expect(safePassed[0]).toBe('clean run');
    expect(safePassed).toContain('before-line fixtures/jobs/transfer-safe.ts:16');
    expect(byStatus(json, 'clock hygiene', 'passed')).toHaveLength(3);
    expect(json.numFailedTests).toBe(10);
    expect(json.numPassedTests).toBe(NAIVE_PASSING.length + safePassed.length + 3);
  });

  test('a failing scenario reads like a failing test: the check, the diff and what ran', async () => {
    const { json } = await fullRun;
    const failure = json.testResults
      .flatMap((file) => file.assertionResults)
      .find((result) => result.fullName === 'naive transfer before-line fixtures/jobs/transfer.ts:17')!;
    const message = failure.failureMessages.join('\n');
    expect(message).toContain('ScenarioFailedError: before-line fixtures/jobs/transfer.ts:17: AssertionError');
    expect(message).toContain('Scenario before-line fixtures/jobs/transfer.ts:17 (glitch fired): 2 executions');
    expect(message).toContain('2. transfer#1 attempt 2 at +1s: completed');
  });

  test('the JSON report of the scenarios that ran is written after the block', async () => {
    const { reportPath } = await fullRun;
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as ReportJSON;
    expect(report.totals).toMatchObject({ scenarios: 15, passed: 5, failed: 10 });
    expect(report.scenarios.filter((s) => !s.passed).map((s) => s.name)).toEqual(NAIVE_TRANSFER_FAILING);
  });

  test('-t selects scenarios by name', async () => {
    const { json, reportPath } = await filteredRun;
    const ran = json.testResults.flatMap((file) => file.assertionResults).filter((r) => r.status === 'passed' || r.status === 'failed');
    expect(ran.map((r) => `${r.fullName}: ${r.status}`)).toEqual(['naive transfer before-line fixtures/jobs/transfer.ts:17: failed']);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as ReportJSON;
    expect(report.scenarios.map((s) => s.name)).toEqual(['before-line fixtures/jobs/transfer.ts:17']);
  });
});
