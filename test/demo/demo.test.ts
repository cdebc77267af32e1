/**
 * `npm start` as a child process, with the node flags of package.json's start
 * script, on a temp SQLite file (FAULTLINE_DEMO_DB) and a temp report dir.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ReportJSON } from '../../runtime/index.js';
import { openStore } from '../../workflow/index.js';
import { NAIVE_TRANSFER_FAILING } from '../support/naive-transfer.js';

let dir: string;
let result: ReturnType<typeof spawnSync>;
let stdout: string;
let stderr: string;

/** The start script's node arguments: `node <args…>`. */
function startScriptArgs(): string[] {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = pkg.scripts.start.split(/\s+/);
  expect(command).toBe('node');
  return args;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-demo-test-'));
  // The demo chooses what to instrument itself.
  const { FAULTLINE_INCLUDE: _include, FAULTLINE_EXCLUDE: _exclude, ...env } = process.env;
  result = spawnSync(process.execPath, startScriptArgs(), {
    encoding: 'utf8',
    env: { ...env, FAULTLINE_DEMO_DB: join(dir, 'demo.db'), FAULTLINE_DEMO_OUT: join(dir, 'out'), NO_COLOR: '1' },
    timeout: 120_000,
  });
  stdout = String(result.stdout);
  stderr = String(result.stderr);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The section of the summary that starts with `heading`, up to the next blank line. */
function section(heading: string): string {
  const start = stdout.indexOf(heading);
  expect(start, `"${heading}" in:\n${stdout}`).toBeGreaterThanOrEqual(0);
  const end = stdout.indexOf('\n\n', start);
  return stdout.slice(start, end === -1 ? undefined : end);
}

test('exits 0 without writing errors', () => {
  expect(result.status, stderr).toBe(0);
  expect(stderr).not.toMatch(/Error|at .*\(.*:\d+:\d+\)/);
});

test('the naive job fails at exactly the scenarios the harness tests prove, each with its line and broken invariant', () => {
  const naive = section('Naive transfer');
  expect(naive).toContain('15 scenarios, 5 passed, 10 failed');
  const failing = [...naive.matchAll(/✗ (\S+ \S+)/g)].map((m) => m[1]);
  // The same list test/harness/simulate.test.ts asserts for fixtures/jobs/transfer.ts.
  expect(failing).toEqual(NAIVE_TRANSFER_FAILING);
  // Each failure: the source line, then the invariants in plain words.
  expect(naive).toMatch(/✗ before-line fixtures\/jobs\/transfer\.ts:17\n\s+fixtures\/jobs\/transfer\.ts:17 │ credit\(to, amount\);\n\s+Jill debited twice: balance 80, expected 90\n/);
  expect(naive).toMatch(/✗ before-line fixtures\/jobs\/transfer\.ts:18\n.*sendEmail\(to, .*\n\s+Jill debited twice: balance 80, expected 90\n\s+Jack credited twice: balance 120, expected 110/);
  expect(naive).toContain('Jack got 2 receipt emails, expected 1');
});

test('the workflow job passes every scenario', () => {
  const workflow = section('Workflow transfer');
  const [, scenarios, passed, failed] = /(\d+) scenarios, (\d+) passed, (\d+) failed/.exec(workflow) ?? [];
  expect(Number(scenarios)).toBeGreaterThan(5);
  expect(passed).toBe(scenarios);
  expect(failed).toBe('0');
  expect(workflow).not.toContain('✗');
});

test('the workflow job passes every crash scenario too', () => {
  const workflow = section('Workflow transfer');
  expect(workflow).toMatch(/(\d+) scenarios/);
  const json = JSON.parse(readFileSync(join(dir, 'out', 'workflow-transfer.json'), 'utf8')) as ReportJSON;
  const crash = json.scenarios.filter((s) => s.fault === 'crash');
  expect(crash.length).toBe(json.scenarios.length / 2);
  expect(crash.every((s) => s.passed && s.name.startsWith('crash '))).toBe(true);
});

test('the settlement survives every exception but loses work under a crash inside its try, at its exact lines', () => {
  const locked = section('Locked settlement');
  const failing = [...locked.matchAll(/✗ (.+)/g)].map((m) => m[1]);
  expect(failing).toEqual([
    'crash before-line fixtures/jobs/locked.ts:28',
    'crash before-call fixtures/jobs/locked.ts:post',
    'crash before-line fixtures/jobs/locked.ts:18',
    'crash before-line fixtures/jobs/locked.ts:19',
  ]);
  expect(locked).toMatch(/✗ crash before-line fixtures\/jobs\/locked\.ts:28\n\s+fixtures\/jobs\/locked\.ts:28 │ await post\(`\$\{account\}:settled`\);\n\s+Jill's account settled never, expected once \(its lock was never released\)/);
});

test('the naive signup race is found: the schedule where both deliveries look before either creates makes two customers', () => {
  const race = section('Signup race (fixtures/jobs/signup-race.ts');
  expect(race).toContain('12 schedules (every schedule with at most 2 preemptions), 6 passed, 6 failed');
  expect(race).toMatch(
    /✗ signup#a at signup-race\.ts:33 → signup#b to the end → signup#a to the end\n\s+1\. signup#a: start → fixtures\/jobs\/signup-race\.ts:33 │ const existing = await store\.db\.selectFrom\('customers'\).*\n\s+2\. signup#b: start → end\n\s+3\. signup#a: fixtures\/jobs\/signup-race\.ts:33 → end\n\s+2 customers for ada@example\.com after two clicks, expected 1\n/,
  );
  // The sequential schedules are not among the failing ones.
  expect(race).not.toContain('✗ signup#a to the end');
  const json = JSON.parse(readFileSync(join(dir, 'out', 'signup-race.json'), 'utf8')) as ReportJSON;
  expect(json.races!.schedules.filter((s) => s.preemptions === 0).map((s) => [s.name, s.passed])).toEqual([
    ['signup#a to the end → signup#b to the end', true],
    ['signup#b to the end → signup#a to the end', true],
  ]);
});

test('the signup as a workflow keyed by email passes every schedule', () => {
  const keyed = section('Signup race, keyed by email');
  const [, schedules, passed, failed] = /(\d+) schedules \(every schedule with at most 2 preemptions\), (\d+) passed, (\d+) failed/.exec(keyed) ?? [];
  expect(Number(schedules)).toBeGreaterThan(2);
  expect(passed).toBe(schedules);
  expect(failed).toBe('0');
  const json = JSON.parse(readFileSync(join(dir, 'out', 'signup-race-keyed.json'), 'utf8')) as ReportJSON;
  expect(json.races!.complete).toBe(true);
  expect(json.races!.schedules.every((s) => s.passed)).toBe(true);
});

test('the race\'s HTML report shows the failing schedule\'s timeline', () => {
  const html = readFileSync(join(dir, 'out', 'signup-race.html'), 'utf8');
  expect(html).toContain('<title>faultline: Signup race: check-then-create</title>');
  expect(html).toContain('Failing schedules (6)');
  expect(html).toMatch(/✗ signup#a at signup-race\.ts:33 → signup#b to the end → signup#a to the end<\/a><\/h3>[\s\S]*?<ol class="timeline"><li data-run="signup#a"><code class="run">signup#a<\/code> ran from its start to <code>fixtures\/jobs\/signup-race\.ts:33<\/code>/);
  expect(readFileSync(join(dir, 'out', 'signup-race-keyed.html'), 'utf8')).toContain('Every schedule passed.');
});

test('writes the HTML and JSON reports and prints their paths', () => {
  for (const slug of ['naive-transfer', 'workflow-transfer', 'locked-settlement', 'signup-race', 'signup-race-keyed']) {
    const html = join(dir, 'out', `${slug}.html`);
    expect(stdout).toContain(html);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/);
    const json = JSON.parse(readFileSync(join(dir, 'out', `${slug}.json`), 'utf8')) as ReportJSON;
    const failed = json.races ? json.races.schedules.filter((s) => !s.passed).length : json.totals.failed;
    expect(failed).toBe({ 'naive-transfer': 10, 'workflow-transfer': 0, 'locked-settlement': 4, 'signup-race': 6, 'signup-race-keyed': 0 }[slug]);
  }
});

test('progress goes to stderr, as plain lines when not a terminal', () => {
  expect(stderr).toMatch(/^naive-transfer: running 15 scenarios$/m);
  expect(stderr).toMatch(/^naive-transfer: 15\/15 FAILED before-return fixtures\/jobs\/transfer\.ts:transfer$/m);
  expect(stderr).toMatch(/^workflow-transfer: running \d+ scenarios$/m);
  expect(stderr).not.toContain('\r');
});

test('the workflow ran on FAULTLINE_DEMO_DB, leaving one finished execution there', async () => {
  expect(existsSync(join(dir, 'demo.db'))).toBe(true);
  const store = await openStore(`sqlite:${join(dir, 'demo.db')}`);
  try {
    const executions = await store.executions();
    expect(executions.map((e) => [e.jobName, e.status, e.cursor])).toEqual([['transfer', 'finished', 'email']]);
  } finally {
    await store.close();
  }
});
